# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import shutil
import subprocess
import tempfile
import unittest

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import RecurringBillingCommon


class FrenchInvoiceCommon(RecurringBillingCommon):
    """A French company with its legal identity, a French company customer
    with a SIRET, a Belgian company customer and a product that is goods."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._render_pdfs_without_http_server()
        cls.company.write(
            {
                "siret": "33417522100012",
                "fr_legal_form": "SAS",
                "fr_share_capital": 10000.0,
                "fr_rcs": "RCS Paris",
            }
        )
        cls.customer.write({"is_company": True, "siret": "73282932000074"})
        cls.product_box = cls._create_product(
            name="Router box",
            type="consu",
            lst_price=80.0,
            invoice_policy="order",
        )
        cls.customer_be = cls.env["res.partner"].create(
            {
                "name": "Brasserie Bruxelloise SRL",
                "is_company": True,
                "street": "Rue Haute 10",
                "zip": "1000",
                "city": "Bruxelles",
                "country_id": cls.env.ref("base.be").id,
                "vat": "BE0477472701",
                "email": "factures@brasserie-bruxelloise.example",
            }
        )

    @classmethod
    def _render_pdfs_without_http_server(cls):
        """Render PDFs from their HTML alone, whatever HTTP server runs.

        wkhtmltopdf loads the report's style sheets and scripts from
        ``report.url`` (else ``web.base.url``), where another Odoo may answer,
        or this very server under Odoo's test runner, which waits on the
        test's own transaction for good. Port 1 (tcpmux) is one of the ports
        WebKit, as every browser, refuses to load anything from: wkhtmltopdf
        renders at once, without a connection attempt or an error, as it does
        when no server runs at all."""
        cls.env["ir.config_parameter"].sudo().set_param(
            "report.url", "http://127.0.0.1:1"
        )

    def _invoice(self, partner=None, lines=None, **vals):
        lines = lines or [(self.product_cloud, 1, self.tax_20)]
        move = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": (partner or self.customer).id,
                "invoice_date": "2025-03-01",
                "invoice_date_due": "2025-03-31",
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": product.id,
                            "quantity": quantity,
                            "tax_ids": [Command.set(taxes.ids)],
                        }
                    )
                    for product, quantity, taxes in lines
                ],
                **vals,
            }
        )
        move.action_post()
        return move

    def mentions(self, move):
        return dict(move._get_fr_legal_mentions())

    def pdf_text(self, pdf):
        """The text of a PDF, by pdftotext, with whitespace collapsed."""
        if not shutil.which("pdftotext"):
            raise unittest.SkipTest("pdftotext (poppler-utils) needed")
        with tempfile.NamedTemporaryFile(suffix=".pdf") as pdf_file:
            pdf_file.write(pdf)
            pdf_file.flush()
            text = subprocess.run(
                ["pdftotext", "-layout", pdf_file.name, "-"],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        return " ".join(text.split())


@tagged("post_install", "-at_install")
class TestFrenchInvoice(FrenchInvoiceCommon):
    """French mandatory mentions on the invoices the engine issues."""

    def test_b2b_services_mentions(self):
        move = self._invoice()
        self.assertEqual(move.fr_operation_nature, "services")
        mentions = self.mentions(move)
        self.assertEqual(
            mentions["seller"],
            f"{self.company.name} - SAS - share capital 10,000.00\xa0€ - "
            "12 rue de la Paix, 75002 Paris, France - RCS Paris - "
            "SIREN 334175221 - SIRET 33417522100012 - VAT FR23334175221",
        )
        self.assertEqual(mentions["buyer_siren"], "Customer SIREN: 732829320")
        self.assertIn("40 €", mentions["recovery_indemnity"])
        self.assertIn("Pénalités de retard", mentions["late_payment"])
        self.assertIn("escompte", mentions["early_payment"])
        # Odoo prints "option to pay tax on debits" for most invoices; only a
        # company that opted gets it.
        self.assertNotIn("vat_on_debits", mentions)
        self.company.fr_vat_on_debits = True
        self.assertIn("vat_on_debits", self.mentions(move))

    def test_operation_nature_follows_the_products(self):
        goods = self._invoice(lines=[(self.product_box, 1, self.tax_20)])
        mixed = self._invoice(
            lines=[
                (self.product_box, 1, self.tax_20),
                (self.product_cloud, 1, self.tax_20),
            ]
        )
        self.assertEqual(goods.fr_operation_nature, "goods")
        self.assertEqual(mixed.fr_operation_nature, "mixed")
        self.company.fr_vat_on_debits = True
        self.assertNotIn("vat_on_debits", self.mentions(goods))
        self.assertIn("vat_on_debits", self.mentions(mixed))

    def test_consumer_gets_no_recovery_indemnity(self):
        consumer = self.env["res.partner"].create(
            {"name": "Jeanne Martin", "country_id": self.env.ref("base.fr").id}
        )
        mentions = self.mentions(self._invoice(partner=consumer))
        self.assertNotIn("recovery_indemnity", mentions)
        self.assertNotIn("buyer_siren", mentions)

    def test_intra_eu_reverse_charge_and_franchise(self):
        tax_0 = self.tax_20.copy({"name": "0% EU services", "amount": 0.0})
        move = self._invoice(
            partner=self.customer_be, lines=[(self.product_cloud, 1, tax_0)]
        )
        self.assertIn("Autoliquidation", self.mentions(move)["reverse_charge"])
        self.company.fr_vat_franchise = True
        mentions = self.mentions(move)
        self.assertEqual(mentions["franchise"], "TVA non applicable, art. 293 B du CGI")
        self.assertNotIn("reverse_charge", mentions)

    def test_credit_note_references_the_invoice(self):
        move = self._invoice()
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=move.ids)
            .create({"journal_id": move.journal_id.id, "date": "2025-03-05"})
        )
        credit = self.env["account.move"].browse(reversal.refund_moves()["res_id"])
        self.assertEqual(
            self.mentions(credit)["original_invoice"],
            f"Credit note for invoice {move.name} of 03/01/2025.",
        )

    def test_plain_invoices_are_not_checked_by_default(self):
        """Installing subscriptions changes nothing of the company's other
        invoices: a plain invoice to a company without SIRET, or with long
        payment terms, posts as before."""
        self.customer.siret = False
        move = self._invoice(invoice_date_due="2025-06-30")
        self.assertEqual(move.state, "posted")
        self.assertEqual(move.amount_total, 36.0)
        self.customer_be.vat = False
        self.assertEqual(self._invoice(partner=self.customer_be).state, "posted")

    def test_subscription_invoice_needs_the_customer_siret(self):
        self.customer.siret = False
        sub = self._create_subscription("2025-03-10")
        moves = self._run_engine("2025-03-10")
        self.assertFalse(moves)
        self.assertFalse(sub.subscription_invoice_ids)
        self.assertIn("has no SIRET", sub.recurring_billing_error)
        self.assertIn(self.customer.name, sub.recurring_billing_error)
        # Once the SIRET is filled, the job bills the period.
        self.customer.siret = "73282932000074"
        sub.action_recurring_clear_error()
        move = self._run_engine("2025-03-10")
        self.assertEqual(move.state, "posted")
        self.assertEqual(move.amount_total, 79.2)

    def test_credit_note_of_subscription_invoice_is_checked(self):
        self._create_subscription("2025-03-10")
        move = self._run_engine("2025-03-10")
        self.customer.siret = False
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=move.ids)
            .create({"journal_id": move.journal_id.id, "date": "2025-03-12"})
        )
        credit = self.env["account.move"].browse(reversal.refund_moves()["res_id"])
        self.assertEqual(credit.state, "draft")
        with self.assertRaisesRegex(UserError, "has no SIRET"), self.cr.savepoint():
            credit.action_post()
        credit.invalidate_recordset()
        self.assertEqual(credit.state, "draft")

    def test_posting_needs_the_customer_identifiers(self):
        """With the company setting on, every customer invoice is checked."""
        self.company.fr_check_all_invoices = True
        self.customer.siret = False
        with self.assertRaisesRegex(UserError, "has no SIRET"):
            self._invoice()
        self.customer_be.vat = False
        with self.assertRaisesRegex(UserError, "has no VAT number"):
            self._invoice(partner=self.customer_be)
        self.customer.siret = "73282932000074"
        with self.assertRaisesRegex(UserError, "within 60 days"):
            self._invoice(invoice_date_due="2025-05-15")
        self.assertEqual(
            self._invoice(invoice_date_due="2025-04-30").invoice_date_due.isoformat(),
            "2025-04-30",
        )
        # 45 days end of month: from 20 March, up to 31 May.
        self.assertEqual(
            self._invoice(
                invoice_date="2025-03-20", invoice_date_due="2025-05-31"
            ).state,
            "posted",
        )
        with self.assertRaisesRegex(UserError, "45 days end of month"):
            self._invoice(invoice_date="2025-03-20", invoice_date_due="2025-06-01")
        self.customer.siret = False
        self.company.fr_check_customer_ids = False
        self.assertEqual(self._invoice().state, "posted")

    def test_pdf_prints_every_mention(self):
        self._create_subscription("2025-03-10")
        move = self._run_engine("2025-03-10")
        pdf = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf("account.report_invoice_with_payments", move.ids)[0]
        )
        text = self.pdf_text(pdf)
        for expected in (
            "Provision of services",
            "12 rue de la Paix, 75002 Paris, France",
            "SIREN 334175221",
            "SIRET 33417522100012",
            "RCS Paris",
            "Customer SIREN: 732829320",
            "Pénalités de retard",
            "40 €",
            "Pas d'escompte",
            "Billing Period",
            "03/10/2025",
            "04/09/2025",
            "FR44732829320",
            move.name,
        ):
            self.assertIn(expected, text)
        self.assertNotIn("Option to pay tax on debits", text)
        self.assertNotIn("Goods Delivery", text)
