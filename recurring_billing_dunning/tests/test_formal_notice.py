# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date

from psycopg2 import IntegrityError

from odoo import Command
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import TEMPLATE, RecurringDunningCommon


@tagged("post_install", "-at_install")
class TestFormalNotice(RecurringDunningCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # 10 % in the terms of sale, but never below 3 x 4 % = 12 %.
        cls.company.write(
            {"dunning_penalty_rate": 10.0, "dunning_legal_interest_rate": 4.0}
        )
        cls.policy_notice = cls.env["recurring.dunning.policy"].create(
            {
                "name": "Formal notice",
                "company_id": cls.company.id,
                "payment_mode": "manual",
                "sequence": 1,
                "step_ids": [
                    Command.create(
                        {
                            "name": "Reminder",
                            "sequence": 1,
                            "delay_days": 1,
                            "action": "email",
                            "mail_template_id": cls.env.ref(TEMPLATE + "friendly").id,
                        }
                    ),
                    Command.create(
                        {
                            "name": "Mise en demeure",
                            "sequence": 2,
                            "delay_days": 40,
                            "action": "notice",
                            "invoice_penalties": True,
                            "mail_template_id": cls.env.ref(TEMPLATE + "notice").id,
                        }
                    ),
                ],
            }
        )

    def _two_overdue_invoices(self):
        subscription = self._create_subscription("2026-01-05")
        first = self._invoice(subscription)
        second = self._invoice(subscription, "2026-02-05")
        self.assertEqual(first.invoice_date_due, date(2026, 1, 5))
        self.assertEqual(second.invoice_date_due, date(2026, 2, 5))
        self.assertEqual((first.amount_residual, second.amount_residual), (79.2, 79.2))
        return subscription, first, second

    def _notice_of(self, invoice, day):
        new = self._dun(day, force_report_rendering=True)
        self.assertFalse(invoice.dunning_error)
        history = new.filtered(lambda h: h.action == "notice" and h.move_id == invoice)
        self.assertEqual(len(history), 1)
        self.assertEqual(len(history.mail_message_id.attachment_ids), 1)
        return history, self.pdf_text(history.mail_message_id.attachment_ids.raw)

    def _penalty_invoices(self):
        return self.env["account.move"].search(
            [
                ("partner_id", "=", self.customer.id),
                ("move_type", "=", "out_invoice"),
                ("subscription_id", "=", False),
            ],
            order="id",
        )

    def test_business_notice_in_french_lists_noticed_invoices_once_invoiced(self):
        """A French business: the notice and its email in French; the second
        invoice, only reminded, is not on the first notice; at its own notice
        both are listed, the first's penalties as invoiced then, and only the
        second's are invoiced."""
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(
            ["recurring_billing_dunning"], ["fr_FR"]
        )
        self.customer.lang = "fr_FR"
        _subscription, first, second = self._two_overdue_invoices()
        self._dun_days("2026-01-06", "2026-02-13")
        # 79.20 x 12 % x 40 / 365 = 1.04; 40.00 of indemnity.
        history, text = self._notice_of(first, "2026-02-14")
        self.assertTrue(history.email_sent)
        self.assertIn("Mise en demeure de payer", text)
        self.assertIn("Malgré nos relances", text)
        self.assertIn(f"{first.name} 05/01/2026 40 79,20 € 1,04 € 40,00 €", text)
        self.assertNotIn(second.name, text)
        self.assertIn("Total à payer 120,24 €", text)
        self.assertIn("12,00 %", text)
        self.assertIn("indemnité forfaitaire", text)
        self.assertIn("mise en demeure", history.mail_message_id.subject)
        self.assertEqual(
            history.note,
            "Formal notice for 120.24\xa0€. Penalties invoiced: "
            f"{self._penalty_invoices().name}.",
        )
        first_penalties = self._penalty_invoices()
        self.assertRecordValues(
            first_penalties,
            [{"state": "posted", "amount_total": 41.04, "invoice_origin": first.name}],
        )
        self.assertFalse(first_penalties.invoice_line_ids.tax_ids)
        self.assertEqual(
            first_penalties.invoice_line_ids.mapped("name"),
            [
                "Pénalités de retard au taux annuel de 12,00\xa0%",
                "Indemnité forfaitaire pour frais de recouvrement (art. L441-10)",
            ],
        )

        self._dun_days("2026-02-15", "2026-03-16")
        history, text = self._notice_of(second, "2026-03-17")
        # The first, 71 days late, keeps the penalties of its notice.
        self.assertIn(f"{first.name} 05/01/2026 71 79,20 € 1,04 € 40,00 €", text)
        self.assertIn(f"{second.name} 05/02/2026 40 79,20 € 1,04 € 40,00 €", text)
        self.assertIn("Total à payer 240,48 €", text)
        penalty_invoices = self._penalty_invoices()
        self.assertEqual(len(penalty_invoices), 2)
        self.assertRecordValues(
            penalty_invoices[1],
            [{"amount_total": 41.04, "invoice_origin": second.name}],
        )
        self.assertRecordValues(
            self.env["recurring.dunning.penalty"].search(
                [("move_id", "in", (first | second).ids)], order="id"
            ),
            [
                {
                    "move_id": first.id,
                    "penalty_move_id": penalty_invoices[0].id,
                    "date": date(2026, 2, 14),
                    "days": 40,
                    "penalty": 1.04,
                    "indemnity": 40.0,
                },
                {
                    "move_id": second.id,
                    "penalty_move_id": penalty_invoices[1].id,
                    "date": date(2026, 3, 17),
                    "days": 40,
                    "penalty": 1.04,
                    "indemnity": 40.0,
                },
            ],
        )
        # The database refuses penalties invoiced twice for an invoice.
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"):
            with self.env.cr.savepoint():
                self.env["recurring.dunning.penalty"].sudo().create(
                    {"move_id": first.id, "date": date(2026, 3, 17)}
                )

    def test_invoice_with_a_payment_under_way_is_not_on_the_notice(self):
        _subscription, first, second = self._two_overdue_invoices()
        self._dun_days("2026-01-06", "2026-03-16")
        tx = self.env["payment.transaction"].create(
            {
                "provider_id": self.provider.id,
                "payment_method_id": self.method_card.id,
                "amount": 79.20,
                "currency_id": first.currency_id.id,
                "partner_id": self.customer.id,
                "reference": "NOTICE-PENDING-1",
                "invoice_ids": [Command.set(first.ids)],
            }
        )
        tx._set_pending()
        history, text = self._notice_of(second, "2026-03-17")
        self.assertNotIn(first.name, text)
        self.assertIn(f"{second.name} 02/05/2026 40 79.20 € 1.04 € 40.00 €", text)
        self.assertIn("Total to pay 120.24 €", text)
        self.assertEqual(
            self._penalty_invoices().mapped("amount_total"), [41.04, 41.04]
        )

    def test_consumer_gets_the_legal_rate_and_no_indemnity(self):
        """A consumer: the legal interest rate (2.76 %, the rate of a
        professional's claims: the company is the creditor), not L441-10's
        business rate (three times it at least), and no 40.00 indemnity."""
        self.customer.write({"vat": False, "is_company": False})
        # The module's default: the rate of a professional's claims.
        self.company.dunning_legal_interest_rate = 2.76
        _subscription, first, _second = self._two_overdue_invoices()
        self._dun_days("2026-01-06", "2026-02-13")
        # 79.20 x 2.76 % x 40 / 365 = 0.24
        _history, text = self._notice_of(first, "2026-02-14")
        self.assertIn(f"{first.name} 01/05/2026 40 79.20 € 0.24 €", text)
        self.assertIn("Total to pay 79.44 €", text)
        self.assertIn("legal interest rate of 2.76 % a year", text)
        self.assertNotIn("indemnity", text)
        self.assertNotIn("40.00", text)
        penalty_invoice = self._penalty_invoices()
        self.assertRecordValues(penalty_invoice, [{"amount_total": 0.24}])
        self.assertEqual(
            penalty_invoice.invoice_line_ids.mapped("name"),
            ["Late-payment interest at the legal rate of 2.76 % a year"],
        )
