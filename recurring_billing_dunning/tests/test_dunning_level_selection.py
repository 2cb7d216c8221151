# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta

from freezegun import freeze_time

from odoo.tests import tagged

from .common import RecurringDunningCommon


@tagged("post_install", "-at_install")
class TestDunningLevelSelection(RecurringDunningCommon):
    def _pay(self, invoice, amount=None):
        vals = {"payment_date": self.due_date}
        if amount is not None:
            vals["amount"] = amount
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create(vals)._create_payments()

    def _days_after_due(self, days):
        return self.due_date + timedelta(days=days)

    def test_level_by_days_overdue(self):
        invoice = self._create_subscription_invoice()
        self.assertEqual(invoice.invoice_date_due, self.due_date)
        expected = {
            0: self.env["recurring.dunning.level"],
            2: self.env["recurring.dunning.level"],
            3: self.level_reminder,
            5: self.level_reminder,
            12: self.level_retry,
            20: self.level_suspend,
            25: self.level_suspend,
        }
        for days, level in expected.items():
            with self.subTest(days=days):
                self.assertEqual(
                    invoice._get_dunning_level(self._days_after_due(days)), level
                )

    def test_paid_invoice_has_no_level(self):
        invoice = self._create_subscription_invoice()
        self._pay(invoice)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertFalse(invoice._get_dunning_level(self._days_after_due(25)))

    def test_partially_paid_invoice_is_dunned(self):
        invoice = self._create_subscription_invoice()
        self._pay(invoice, amount=10.0)
        self.assertEqual(invoice.payment_state, "partial")
        self.assertEqual(
            invoice._get_dunning_level(self._days_after_due(12)), self.level_retry
        )

    def test_only_posted_subscription_invoices_are_dunned(self):
        today = self._days_after_due(25)
        draft = self._create_subscription_invoice(post=False)
        self.assertFalse(draft._get_dunning_level(today))
        cancelled = self._create_subscription_invoice()
        cancelled.button_draft()
        cancelled.button_cancel()
        self.assertFalse(cancelled._get_dunning_level(today))
        one_off = self.init_invoice(
            "out_invoice", invoice_date=self.due_date, amounts=[100.0], post=True
        )
        self.assertFalse(one_off._get_dunning_level(today))

    def test_most_overdue_invoice_sets_the_level(self):
        recent = self._create_subscription_invoice(due_date=self._days_after_due(20))
        old = self._create_subscription_invoice()
        today = self._days_after_due(25)
        self.assertEqual(recent._get_dunning_level(today), self.level_reminder)
        self.assertEqual((recent | old)._get_dunning_level(today), self.level_suspend)

    def test_level_of_invoice_company(self):
        company_2 = self.setup_other_company()["company"]
        levels_2 = self._create_levels(company_2)
        levels_2.filtered(lambda level: level.action == "retry").delay_days = 15
        self.partner_a.with_company(
            company_2
        ).property_payment_term_id = self.pay_terms_a
        subscription_2 = self._create_subscription(self.partner_a, company=company_2)
        invoice_2 = self._create_subscription_invoice(subscription_2)
        self.assertEqual(invoice_2.company_id, company_2)
        self.assertEqual(invoice_2.invoice_date_due, self.due_date)
        level = invoice_2._get_dunning_level(self._days_after_due(12))
        self.assertEqual(level.company_id, company_2)
        self.assertEqual(level.action, "reminder")

    def test_overdue_subscription_invoices(self):
        overdue = self._create_subscription_invoice()
        self._create_subscription_invoice(post=False)
        paid = self._create_subscription_invoice()
        self._pay(paid)
        due_today = self._create_subscription_invoice(due_date=self._days_after_due(12))
        other_subscription = self._create_subscription(self.partner_a)
        self._create_subscription_invoice(other_subscription)
        with freeze_time(self._days_after_due(12)):
            self.assertEqual(
                self.subscription._get_overdue_subscription_invoices(), overdue
            )
        with freeze_time(self._days_after_due(13)):
            self.assertEqual(
                self.subscription._get_overdue_subscription_invoices(),
                overdue | due_today,
            )
        self.assertEqual(
            (self.subscription | other_subscription)._get_overdue_subscription_invoices(
                self._days_after_due(1)
            ),
            overdue | other_subscription.subscription_invoice_ids,
        )
