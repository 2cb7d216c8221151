# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Flows across the three addons, on the real database."""

from datetime import date

from freezegun import freeze_time

from odoo.tests import tagged

from odoo.addons.recurring_billing.tests.common import RecurringBillingCommon


@tagged("post_install", "-at_install")
class TestSubscriptionToDunningFlow(RecurringBillingCommon):
    def test_unpaid_subscription_invoice_climbs_the_dunning_levels(self):
        sub = self._create_subscription("2025-01-01")
        invoice = self._run_engine("2025-01-01")
        self.assertEqual(invoice.invoice_date_due, date(2025, 1, 1))
        self.assertEqual(invoice.amount_residual, 79.2)

        # The default policy of customers paying by themselves: a reminder at
        # D+3, a second notice at D+10, the suspension at D+20.
        expected = {
            date(2025, 1, 2): None,
            date(2025, 1, 4): "email",
            date(2025, 1, 12): "email",
            date(2025, 1, 25): "suspend",
        }
        self.assertFalse(sub._get_overdue_subscription_invoices(date(2025, 1, 1)))
        Run = self.env["recurring.dunning.run"]
        for day, action in expected.items():
            overdue = sub._get_overdue_subscription_invoices(day)
            self.assertEqual(overdue, invoice)
            with freeze_time(day):
                while Run._cron_dunning():
                    pass
            self.assertEqual(invoice.dunning_last_step_id.action or None, action)
        self.assertEqual(sub.subscription_state, "suspended")

        # Each retry of a dunning policy is its own Stripe request, with its
        # own idempotency key: tests/test_dunning_flows.py.

        # Paid: no more dunning, and the subscriber is thanked.
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"payment_date": "2025-01-26"})._create_payments()
        self.assertFalse(sub._get_overdue_subscription_invoices(date(2025, 1, 26)))
        self.assertEqual(invoice.dunning_state, "recovered")
        self.assertEqual(sub.subscription_state, "active")
        invoice.invalidate_recordset(["message_ids"])
        self.assertIn(
            f"{self.company.name}: payment received for invoice {invoice.name}",
            invoice.message_ids.mapped("subject"),
        )
        # Billing goes on for the next period.
        self.assertEqual(sub.next_invoice_date, date(2025, 2, 1))
        self.assertEqual(len(self._run_engine("2025-02-01")), 1)
