# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Flows across the three addons, on the real database."""

from datetime import date

from odoo import Command
from odoo.tests import tagged

from odoo.addons.payment.utils import generate_idempotency_key
from odoo.addons.recurring_billing.tests.common import RecurringBillingCommon


@tagged("post_install", "-at_install")
class TestSubscriptionToDunningFlow(RecurringBillingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Level = cls.env["recurring.dunning.level"]
        cls.level_reminder, cls.level_retry, cls.level_suspend = Level.create(
            [
                {
                    "name": "Reminder",
                    "sequence": 1,
                    "delay_days": 3,
                    "action": "reminder",
                },
                {"name": "Retry", "sequence": 2, "delay_days": 10, "action": "retry"},
                {
                    "name": "Suspend",
                    "sequence": 3,
                    "delay_days": 20,
                    "action": "suspend",
                },
            ]
        )
        cls.stripe = (
            cls.env["payment.provider"]
            .sudo()
            .create(
                {
                    "name": "Stripe (flow)",
                    "code": "stripe",
                    "company_id": cls.company.id,
                    "stripe_secret_key": "sk_test_flow",
                }
            )
        )

    def test_unpaid_subscription_invoice_climbs_the_dunning_levels(self):
        sub = self._create_subscription("2025-01-01")
        invoice = self._run_engine("2025-01-01")
        self.assertEqual(invoice.invoice_date_due, date(2025, 1, 1))
        self.assertEqual(invoice.amount_residual, 79.2)

        expected = {
            date(2025, 1, 2): None,
            date(2025, 1, 4): self.level_reminder,
            date(2025, 1, 12): self.level_retry,
            date(2025, 1, 25): self.level_suspend,
        }
        self.assertFalse(sub._get_overdue_subscription_invoices(date(2025, 1, 1)))
        for day, level in expected.items():
            overdue = sub._get_overdue_subscription_invoices(day)
            self.assertEqual(overdue, invoice)
            self.assertEqual(
                overdue._get_dunning_level(day), level or self.level_retry.browse()
            )

        # Each payment retry of that invoice is a new transaction with its own
        # reference, from which Odoo derives Stripe's idempotency key: the same
        # attempt always sends the same key, the next attempt another one.
        Transaction = self.env["payment.transaction"].sudo()
        attempts = Transaction
        for _attempt in range(2):
            attempts |= Transaction.create(
                {
                    "provider_id": self.stripe.id,
                    "payment_method_id": self.env.ref("payment.payment_method_card").id,
                    "amount": invoice.amount_residual,
                    "currency_id": invoice.currency_id.id,
                    "partner_id": invoice.partner_id.id,
                    "operation": "offline",
                    "invoice_ids": [Command.set(invoice.ids)],
                }
            )
        self.assertEqual(
            attempts.mapped("reference"), [invoice.name, f"{invoice.name}-1"]
        )
        scope = "payment_intents_token"
        key_1 = generate_idempotency_key(attempts[0], scope=scope)
        self.assertEqual(key_1, generate_idempotency_key(attempts[0], scope=scope))
        self.assertNotEqual(key_1, generate_idempotency_key(attempts[1], scope=scope))

        # Paid: no more dunning, and the subscriber is thanked.
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"payment_date": "2025-01-26"})._create_payments()
        self.assertFalse(sub._get_overdue_subscription_invoices(date(2025, 1, 26)))
        self.assertFalse(invoice._get_dunning_level(date(2025, 1, 26)))
        invoice.invalidate_recordset(["message_ids"])
        self.assertIn(
            f"{self.company.name}: payment received for invoice {invoice.name}",
            invoice.message_ids.mapped("subject"),
        )
        # Billing goes on for the next period.
        self.assertEqual(sub.next_invoice_date, date(2025, 2, 1))
        self.assertEqual(len(self._run_engine("2025-02-01")), 1)
