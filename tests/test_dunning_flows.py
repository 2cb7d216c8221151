# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Dunning across the addons: a card charged through payment_stripe (Stripe's
network edge replaced by its documented answers) declined, retried by the
dunning policy, and recovered."""

from datetime import date

import requests
from freezegun import freeze_time

from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.recurring_billing_stripe.tests import stripe_bodies as bodies
from odoo.addons.recurring_billing_stripe.tests.common import (
    RecurringStripePaymentCommon,
    stripe_answers,
)

AMOUNT = 7920
MUTED = (
    "odoo.addons.payment_stripe.models.payment_transaction",
    "odoo.addons.payment.models.payment_transaction",
    "odoo.addons.recurring_billing.models.recurring_invoice_payment",
)


@tagged("post_install", "-at_install")
class TestStripeDunningFlow(RecurringStripePaymentCommon):
    def _dun(self, day):
        """The dunning job, then the charge job it wakes for its retries."""
        with freeze_time(day):
            while self.env["recurring.dunning.run"]._cron_dunning():
                pass
            while self.env["recurring.payment.charge"]._cron_charge_invoices():
                pass
        self.env.invalidate_all()

    def _declined(self, invoice, decline_code="insufficient_funds"):
        return bodies.card_error(
            invoice.name,
            AMOUNT,
            "card_declined",
            decline_code,
            "Your card was declined.",
        )

    def test_soft_decline_recovered_by_the_second_retry_through_stripe(self):
        subscription = self._create_charged_subscription(token=self.card_token)
        invoice = self._invoice(subscription)
        with stripe_answers(self._declined(invoice)), mute_logger(*MUTED):
            tx = self._charge()
        self.assertEqual(tx.failure_class, "soft")
        self.assertEqual(invoice.dunning_state, "running")
        self.assertEqual(invoice.dunning_next_date, date(2026, 1, 6))

        with stripe_answers(self._declined(invoice)) as calls, mute_logger(*MUTED):
            self._dun("2026-01-06")
        first = invoice.dunning_history_ids
        self.assertEqual(first.outcome, "failed")
        self.assertFalse(first.email_sent)  # a silent retry
        intents = [c for c in calls if c["endpoint"] == "payment_intents"]
        self.assertEqual(len(intents), 1)

        with (
            stripe_answers(bodies.payment_intent("", AMOUNT)) as calls,
            mute_logger(*MUTED),
        ):
            self._dun("2026-01-07")  # nothing due
            self.assertFalse(calls)
            self._dun("2026-01-08")
            self._dun("2026-01-08")  # a rerun charges nothing more
        intents_2 = [c for c in calls if c["endpoint"] == "payment_intents"]
        self.assertEqual(len(intents_2), 1)
        self.assertNotEqual(
            intents_2[0]["idempotency_key"], intents[0]["idempotency_key"]
        )
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(invoice.dunning_state, "recovered")
        self.assertEqual(
            invoice.dunning_history_ids.sorted("id").mapped("outcome"),
            ["failed", "paid"],
        )
        self.assertEqual(len(invoice.recurring_charge_ids), 3)
        self.assertFalse(
            invoice.message_ids.filtered(
                lambda m: m.subject and "reminder" in m.subject.lower()
            )
        )

    def test_hard_decline_through_stripe_is_never_retried(self):
        subscription = self._create_charged_subscription(token=self.card_token)
        invoice = self._invoice(subscription)
        with stripe_answers(self._declined(invoice, "lost_card")), mute_logger(*MUTED):
            self._charge()
        self.assertEqual(invoice.dunning_failure_class, "hard")
        with stripe_answers(bodies.payment_intent("", AMOUNT)) as calls:
            for day in ("2026-01-06", "2026-01-08", "2026-01-12", "2026-01-19"):
                self._dun(day)
        self.assertFalse(calls)
        self.assertEqual(len(invoice.recurring_charge_ids), 1)
        self.assertEqual(invoice.payment_state, "not_paid")

    def test_retry_whose_answer_is_lost_is_asked_never_charged_again(self):
        subscription = self._create_charged_subscription(token=self.card_token)
        invoice = self._invoice(subscription)
        with stripe_answers(self._declined(invoice)), mute_logger(*MUTED):
            self._charge()

        # The dunning job hands the retry to the charge job, which creates
        # and commits the transaction before its request; the answer is lost.
        with freeze_time("2026-01-06"):
            while self.env["recurring.dunning.run"]._cron_dunning():
                pass
        retry = invoice.dunning_history_ids
        self.assertEqual(retry.outcome, "running")
        self.assertFalse(retry.transaction_id)
        self.assertEqual(invoice.recurring_charge_state, "to_charge")
        self.assertEqual(len(invoice.recurring_charge_ids), 1)

        def timeout(endpoint):
            raise requests.exceptions.ReadTimeout("Read timed out.")

        with stripe_answers(timeout) as calls, mute_logger(*MUTED):
            self._dun("2026-01-06")
        self.assertEqual(len(calls), 1)
        tx = retry.transaction_id
        self.assertEqual(tx, invoice.recurring_charge_ids.sorted("id")[-1])
        self.assertTrue(tx.recurring_outcome_unknown)
        self.assertEqual(invoice.recurring_charge_state, "unknown")
        self.assertEqual(retry.outcome, "running")

        # The next retry does not charge while the outcome is unknown.
        succeeded = bodies.payment_intent(invoice.name, AMOUNT)
        with stripe_answers(succeeded) as calls, mute_logger(*MUTED):
            self._dun("2026-01-08")
        self.assertFalse([c for c in calls if c["method"] == "POST"])

        # Stripe is asked: it had charged (Odoo gives the transaction's
        # reference as the PaymentIntent's description).
        charged = bodies.payment_intent(tx.reference, AMOUNT)
        listed = {"object": "list", "data": [charged], "has_more": False}
        with stripe_answers(listed) as calls, mute_logger(*MUTED):
            with freeze_time("2026-01-08 12:00:00"):
                self.env["recurring.payment.charge"]._cron_check_charges()
        self.assertEqual([c["method"] for c in calls], ["GET"])
        self.assertEqual(tx.state, "done")
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(invoice.dunning_state, "recovered")
        self.assertEqual(retry.outcome, "paid")
        self.assertEqual(len(invoice.recurring_charge_ids), 2)
