# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from odoo import Command
from odoo.tests import tagged

from .common import TEMPLATE, RecurringDunningCommon


def cents(value):
    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


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
        return subscription, first, second

    def _notice(self, first):
        notice_day = first.invoice_date_due + timedelta(days=40)
        self._dun_days(
            first.invoice_date_due + timedelta(days=1), notice_day - timedelta(days=1)
        )
        history = self._dun(notice_day, force_report_rendering=True).filtered(
            lambda h: h.action == "notice" and h.move_id == first
        )
        self.assertEqual(len(history), 1)
        return notice_day, history

    def _expected(self, invoices, notice_day):
        rate = Decimal("12")
        lines = []
        for invoice in invoices:
            days = (notice_day - invoice.invoice_date_due).days
            residual = Decimal(str(invoice.amount_residual))
            lines.append((days, residual, cents(residual * rate / 100 * days / 365)))
        return lines

    def test_business_notice_amounts_to_the_cent(self):
        _subscription, first, second = self._two_overdue_invoices()
        notice_day, history = self._notice(first)
        self.assertTrue(history.email_sent)
        attachment = history.mail_message_id.attachment_ids
        self.assertEqual(len(attachment), 1)
        self.assertEqual(attachment.mimetype, "application/pdf")
        text = self.pdf_text(attachment.raw)

        lines = self._expected(first | second, notice_day)
        self.assertEqual([line[0] for line in lines], [40, 9])
        total_penalty = sum(line[2] for line in lines)
        self.assertEqual(total_penalty, cents("1.04") + cents("0.23"))
        for days, residual, penalty in lines:
            self.assertIn(
                f"{days} {residual:.2f}", text.replace("€", "").replace("  ", " ")
            )
            self.assertIn(f"{penalty:.2f}", text)
        self.assertIn("40.00", text)  # the indemnity of each invoice
        total = sum(line[1] for line in lines) + total_penalty + Decimal("80.00")
        self.assertIn(f"{total:.2f}", text)
        self.assertIn("12.00 %", text)
        self.assertIn("recovery indemnity", text)
        self.assertIn(first.name, text)
        self.assertIn(second.name, text)

        penalty_invoice = self.env["account.move"].search(
            [("invoice_origin", "=", first.name), ("move_type", "=", "out_invoice")]
        )
        self.assertEqual(penalty_invoice.state, "posted")
        self.assertFalse(penalty_invoice.subscription_id)
        self.assertEqual(
            penalty_invoice.amount_total, float(total_penalty + Decimal("80.00"))
        )
        self.assertFalse(penalty_invoice.invoice_line_ids.tax_ids)

    def test_consumer_notice_has_no_indemnity(self):
        self.customer.write({"vat": False, "is_company": False})
        _subscription, first, second = self._two_overdue_invoices()
        notice_day, history = self._notice(first)
        text = self.pdf_text(history.mail_message_id.attachment_ids.raw)
        lines = self._expected(first | second, notice_day)
        total = sum(line[1] + line[2] for line in lines)
        self.assertIn(f"{total:.2f}", text)
        self.assertNotIn("indemnity", text)
        self.assertNotIn("40.00", text)
        penalty_invoice = self.env["account.move"].search(
            [("invoice_origin", "=", first.name), ("move_type", "=", "out_invoice")]
        )
        self.assertEqual(
            penalty_invoice.amount_total, float(sum(line[2] for line in lines))
        )
