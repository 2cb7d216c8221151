# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import io

import facturx
from lxml import etree
from pypdf import PdfReader

from odoo.exceptions import UserError
from odoo.tests import tagged

from ..tools.facturx_validation import validate_facturx
from .pdfa import pdfa3_errors
from .test_fr_invoice import FrenchInvoiceCommon

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:"
    "ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}


@tagged("post_install", "-at_install")
class TestFacturx(FrenchInvoiceCommon):
    """Each kind of invoice the engine issues passes the Factur-X EN 16931 XSD
    and the EN 16931 and French CTC schematrons with zero failed rule, and
    carries what the French reform asks for."""

    def assertFacturxValid(self, move):
        """Send ``move`` as Odoo does (PDF by wkhtmltopdf), take the XML out of
        its PDF and check it; keep the PDF's text in ``self.text``."""
        self._send(move)
        pdf = move.invoice_pdf_report_id.raw
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
        self.text = self.pdf_text(pdf)
        self.assertIn(move.name, self.text)
        return etree.fromstring(xml)

    def values(self, tree, path):
        return tree.xpath(path, namespaces=NS)

    def test_french_b2b_services(self):
        self._create_subscription("2025-03-10")
        move = self._run_engine("2025-03-10")
        tree = self.assertFacturxValid(move)
        header = "//ram:ApplicableHeaderTradeSettlement/ram:BillingSpecifiedPeriod"
        line = "//ram:SpecifiedLineTradeSettlement/ram:BillingSpecifiedPeriod"
        # BT-73, BT-74 and BT-134, BT-135: the billing period.
        self.assertEqual(
            self.values(tree, f"{header}/ram:StartDateTime/udt:DateTimeString/text()"),
            ["20250310"],
        )
        self.assertEqual(
            self.values(tree, f"{header}/ram:EndDateTime/udt:DateTimeString/text()"),
            ["20250409"],
        )
        self.assertEqual(
            self.values(tree, f"{line}/ram:EndDateTime/udt:DateTimeString/text()"),
            ["20250409", "20250409"],
        )
        # BT-23, BT-30 (SIREN, 0002), BT-29 (SIRET, 0009), BT-47, BT-34, BT-49.
        self.assertEqual(
            self.values(
                tree,
                "//ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID/text()",
            ),
            ["S1"],
        )
        seller = "//ram:SellerTradeParty"
        buyer = "//ram:BuyerTradeParty"
        self.assertEqual(
            self.values(
                tree,
                f"{seller}/ram:SpecifiedLegalOrganization/ram:ID[@schemeID='0002']/text()",
            ),
            ["334175221"],
        )
        self.assertEqual(
            self.values(tree, f"{seller}/ram:GlobalID[@schemeID='0009']/text()"),
            ["33417522100012"],
        )
        self.assertEqual(
            self.values(
                tree,
                f"{buyer}/ram:SpecifiedLegalOrganization/ram:ID[@schemeID='0002']/text()",
            ),
            ["732829320"],
        )
        self.assertEqual(
            self.values(
                tree, f"{seller}/ram:URIUniversalCommunication/ram:URIID/text()"
            ),
            ["334175221"],
        )
        self.assertEqual(
            self.values(
                tree,
                f"{buyer}/ram:URIUniversalCommunication/ram:URIID[@schemeID='0225']/text()",
            ),
            ["732829320"],
        )
        # BG-1: the legal notes with their subject codes.
        self.assertEqual(
            self.values(
                tree, "//rsm:ExchangedDocument/ram:IncludedNote/ram:SubjectCode/text()"
            ),
            ["PMD", "PMT", "AAB", "REG"],
        )
        # BT-81: SEPA credit transfer to the company's IBAN (BT-84).
        means = "//ram:SpecifiedTradeSettlementPaymentMeans"
        self.assertEqual(self.values(tree, f"{means}/ram:TypeCode/text()"), ["58"])
        self.assertEqual(
            self.values(
                tree,
                f"{means}/ram:PayeePartyCreditorFinancialAccount/ram:IBANID/text()",
            ),
            ["FR7630006000011234567890189"],
        )

    def test_payment_means_follow_the_payment_method(self):
        move = self._invoice()
        builder = self.env["account.edi.xml.cii"]
        self.assertEqual(builder._get_fr_payment_means_code(move), "58")
        sepa_debit = (
            self.env["account.payment.method"]
            .sudo()
            .create(
                {
                    "name": "SEPA Direct Debit",
                    "code": "sepa_direct_debit",
                    "payment_type": "inbound",
                }
            )
        )
        journal = self.company_data["default_journal_bank"]
        line = self.env["account.payment.method.line"].create(
            {"payment_method_id": sepa_debit.id, "journal_id": journal.id}
        )
        move.preferred_payment_method_line_id = line
        self.assertEqual(builder._get_fr_payment_means_code(move), "59")
        tree = self.assertFacturxValid(move)
        self.assertEqual(
            self.values(
                tree, "//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode/text()"
            ),
            ["59"],
        )

    def test_french_b2c(self):
        consumer = self.env["res.partner"].create(
            {
                "name": "Jeanne Martin",
                "street": "8 rue des Lilas",
                "zip": "33000",
                "city": "Bordeaux",
                "country_id": self.env.ref("base.fr").id,
                "email": "jeanne.martin@example.com",
            }
        )
        self._create_subscription("2025-03-10", partner_id=consumer.id)
        move = self._run_engine("2025-03-10")
        tree = self.assertFacturxValid(move)
        buyer = "//ram:BuyerTradeParty"
        self.assertFalse(self.values(tree, f"{buyer}/ram:SpecifiedLegalOrganization"))
        self.assertNotIn("40 €", self.text)
        self.assertIn("Pénalités de retard", self.text)
        self.assertEqual(
            self.values(
                tree,
                f"{buyer}/ram:URIUniversalCommunication/ram:URIID[@schemeID='EM']/text()",
            ),
            ["jeanne.martin@example.com"],
        )

    def test_delivery_address_when_it_differs(self):
        site = self.env["res.partner"].create(
            {
                "name": "Boulangerie Martin, fournil",
                "type": "delivery",
                "parent_id": self.customer.id,
                "street": "14 quai Saint-Vincent",
                "zip": "69001",
                "city": "Lyon",
                "country_id": self.env.ref("base.fr").id,
            }
        )
        move = self._invoice(partner_shipping_id=site.id)
        tree = self.assertFacturxValid(move)
        self.assertIn("14 quai Saint-Vincent", self.text)
        self.assertIn("3 place du Marché", self.text)
        self.assertEqual(
            self.values(
                tree, "//ram:ShipToTradeParty/ram:PostalTradeAddress/ram:LineOne/text()"
            ),
            ["14 quai Saint-Vincent"],
        )

    def test_intra_eu_b2b_reverse_charge(self):
        tax_0 = self.tax_20.copy(
            {"name": "0% EU services", "amount": 0.0, "tax_scope": "service"}
        )
        move = self._invoice(
            partner=self.customer_be, lines=[(self.product_cloud, 1, tax_0)]
        )
        tree = self.assertFacturxValid(move)
        tax = "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax"
        self.assertEqual(self.values(tree, f"{tax}/ram:CategoryCode/text()"), ["AE"])
        self.assertIn("Autoliquidation", self.text)
        self.assertIn("BE0477472701", self.text)
        self.assertEqual(
            self.values(tree, f"{tax}/ram:ExemptionReasonCode/text()"), ["VATEX-EU-AE"]
        )

    def test_franchise_en_base(self):
        self.company.fr_vat_franchise = True
        tax_0 = self.tax_20.copy({"name": "0% franchise", "amount": 0.0})
        move = self._invoice(lines=[(self.product_cloud, 1, tax_0)])
        tree = self.assertFacturxValid(move)
        tax = "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax"
        self.assertEqual(self.values(tree, f"{tax}/ram:CategoryCode/text()"), ["E"])
        self.assertEqual(
            self.values(tree, f"{tax}/ram:ExemptionReasonCode/text()"),
            ["VATEX-FR-FRANCHISE"],
        )
        self.assertEqual(
            self.values(tree, f"{tax}/ram:ExemptionReason/text()"),
            ["TVA non applicable, art. 293 B du CGI"],
        )
        self.assertIn("TVA non applicable, art. 293 B du CGI", self.text)

    def test_mixed_goods_and_services(self):
        move = self._invoice(
            narration="<p>Thank you for your trust.</p>",
            lines=[
                (self.product_box, 1, self.tax_20),
                (self.product_cloud, 2, self.tax_20),
            ],
        )
        tree = self.assertFacturxValid(move)
        self.assertEqual(
            self.values(
                tree,
                "//ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID/text()",
            ),
            ["M1"],
        )
        self.assertIn("Mixed operation (goods and services)", self.text)
        notes = "//rsm:ExchangedDocument/ram:IncludedNote"
        self.assertEqual(
            self.values(tree, f"{notes}[not(ram:SubjectCode)]/ram:Content/text()"),
            ["Thank you for your trust."],
        )

    def test_prorated_first_period(self):
        template = self.template_monthly.copy({"alignment": "calendar"})
        self._create_subscription("2025-01-11", template=template)
        move = self._run_engine("2025-01-11")
        self.assertEqual(move.amount_total, 53.65)
        tree = self.assertFacturxValid(move)
        self.assertEqual(self.values(tree, "//ram:DuePayableAmount/text()"), ["53.65"])

    def test_credit_note(self):
        self._create_subscription("2025-03-10")
        move = self._run_engine("2025-03-10")
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=move.ids)
            .create({"journal_id": move.journal_id.id, "date": "2025-03-15"})
        )
        credit = self.env["account.move"].browse(reversal.refund_moves()["res_id"])
        credit.action_post()
        tree = self.assertFacturxValid(credit)
        self.assertEqual(
            self.values(tree, "//rsm:ExchangedDocument/ram:TypeCode/text()"), ["381"]
        )
        ref = "//ram:InvoiceReferencedDocument"
        self.assertEqual(
            self.values(tree, f"{ref}/ram:IssuerAssignedID/text()"), [move.name]
        )

    def _send(self, move):
        return (
            self.env["account.move.send"]
            .with_context(force_report_rendering=True)
            ._generate_and_send_invoices(
                move, sending_methods=["manual"], invoice_edi_format="facturx"
            )
        )

    def test_sent_pdf_is_a_facturx_pdf_a3(self):
        self._create_subscription("2025-03-10")
        move = self._run_engine("2025-03-10")
        self._send(move)
        pdf = move.invoice_pdf_report_id.raw
        filename, xml = facturx.get_facturx_xml_from_pdf(pdf)
        self.assertEqual(filename, "factur-x.xml")
        self.assertEqual(
            validate_facturx(xml), {"xsd": [], "en16931": [], "fr_ctc": []}
        )
        self.assertIn(move.name.encode(), xml)
        reader = PdfReader(io.BytesIO(pdf))
        self.assertIn("/OutputIntents", reader.trailer["/Root"])
        xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
        self.assertIn(b"<pdfaid:part>3</pdfaid:part>", xmp)
        self.assertIn(b"<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>", xmp)
        # What ISO 19005-3 asks of the file, beyond these markers.
        self.assertEqual(pdfa3_errors(pdf), [])

    def test_invalid_facturx_is_not_sent_to_a_company(self):
        self.customer_be.email = False
        move = self._invoice(partner=self.customer_be)
        self._send_from_cron(move)
        self.assertFalse(move.invoice_pdf_report_id)
        self.assertEqual(move.sending_data, {"error": True})
        message = move.message_ids[0].body
        self.assertIn("BR-FR-12_BT-49", message)
        with self.assertRaisesRegex(UserError, "BR-FR-12_BT-49"):
            move.action_check_facturx()

    def _send_from_cron(self, move):
        move.sending_data = {
            "author_user_id": self.env.user.id,
            "author_partner_id": self.env.user.partner_id.id,
            "sending_methods": ["manual"],
        }
        self.env["account.move.send"].with_context(
            force_report_rendering=True
        )._generate_and_send_invoices(move, from_cron=True)
