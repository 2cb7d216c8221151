# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Charges whose answer from Stripe is lost (connection cut, 5xx, timeout)
after Stripe charged, with Stripe's webhook arriving after the request or
never: one charge at Stripe, one done transaction, the invoice paid once,
nothing left unknown once the provider was asked again, and no email telling
the customer their payment method was refused. (The webhook arriving during
the request needs separate database connections: see
``test_stripe_charge_workers``.)"""

import json

from freezegun import freeze_time

from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from odoo.addons.payment import utils as payment_utils

from .. import const
from . import stripe_bodies as bodies
from .common import RecurringStripePaymentCommon, sign
from .fake_stripe import FakeStripe

MUTED = (
    "odoo.addons.recurring_billing.models.recurring_invoice_payment",
    "odoo.addons.recurring_billing_stripe.controllers.main",
    "odoo.addons.recurring_billing_stripe.models.recurring_stripe_event",
    "odoo.addons.payment_stripe.controllers.main",
    "odoo.addons.payment_stripe.models.payment_transaction",
    "odoo.addons.payment.models.payment_transaction",
    "odoo.http",
)
PAID = ("paid", "in_payment")


@tagged("post_install", "-at_install")
class TestStripeLostAnswers(RecurringStripePaymentCommon, HttpCase):
    def setUp(self):
        super().setUp()
        self.invoice = self._stripe_subscription_invoice()
        self.Event = self.env["recurring.stripe.event"]
        self.events = 0

    # ------------------------------------------------------------
    # HELPERS
    # ------------------------------------------------------------

    def _deliver(self, intent, event_type="payment_intent.succeeded"):
        """Stripe delivers the webhook event of ``intent``, signed (webhooks do
        not expand the payment method).

        :return: the HTTP answer
        """
        intent = dict(intent, payment_method=intent["payment_method"]["id"])
        self.events += 1
        event = bodies.event(f"evt_3LostAnswer{self.events:04d}", event_type, intent)
        payload = json.dumps(event)
        with mute_logger(*MUTED):
            return self.url_open(
                const.WEBHOOK_URL % self.stripe.id,
                data=payload,
                headers={
                    "Content-Type": "application/json",
                    "Stripe-Signature": sign(payload),
                },
            )

    def _check(self, day="2026-01-05 12:00:00"):
        """The job asking Stripe about the charges left without answer."""
        with freeze_time(day), mute_logger(*MUTED):
            return self.env["recurring.payment.charge"]._cron_check_charges()

    def _tries_again(self, fake):
        """What could charge again: the next runs of the job, a user's
        Charge Now."""
        with fake.edge(), mute_logger(*MUTED):
            self.invoice.action_recurring_charge_now()
            self._charge("2026-01-06")

    def _assert_paid_once(self, fake):
        invoice = self.invoice
        invoice.invalidate_recordset()
        self.assertEqual(len(fake.charges(invoice.name)), 1, "one charge at Stripe")
        self.assertEqual(
            len({r["idempotency_key"] for r in fake.posts()}),
            1,
            "every request of the invoice's charge has the same idempotency key",
        )
        tx = invoice.recurring_charge_ids
        self.assertEqual(len(tx), 1)
        self.assertRecordValues(
            tx,
            [
                {
                    "state": "done",
                    "reference": invoice.name,
                    "recurring_outcome_unknown": False,
                    "is_post_processed": True,
                    "amount": 79.20,
                }
            ],
        )
        self.assertEqual(len(tx.payment_id), 1)
        self.assertEqual(tx.payment_id.amount, 79.20)
        self.assertIn(invoice.payment_state, PAID)
        self.assertEqual(invoice.amount_residual, 0.0)
        self.assertEqual(invoice.recurring_charge_state, "done")
        self.assertFalse(
            self._messages_with_subject(invoice, "payment method was refused")
        )
        self.assertFalse(self._messages_with_subject(invoice, "confirm the payment"))
        self.assertFalse(
            self.env["payment.transaction"].search(
                [("recurring_invoice_id", "=", invoice.id), ("state", "!=", "done")]
            )
        )

    def _lose(self, lose, webhook):
        """Charge the invoice; Stripe charges, the answer is lost by ``lose``;
        its webhook arrives ``after`` the request, or ``never``."""
        fake = FakeStripe(lose=lose)
        with fake.edge(), mute_logger(*MUTED):
            tx = self._charge()
        self.assertEqual(len(tx), 1)
        self.assertEqual(len(fake.charges(self.invoice.name)), 1)
        self.assertEqual(tx.state, "draft")
        self.assertTrue(tx.recurring_outcome_unknown)
        self.assertEqual(self.invoice.recurring_charge_state, "unknown")
        self.assertIn(tx.reference, self.invoice.recurring_charge_message)
        self.assertEqual(self.invoice.payment_state, "not_paid")
        self.assertFalse(tx.failure_class)
        self._tries_again(fake)
        self.assertEqual(len(fake.posts()), 1, "nothing is sent again")
        if webhook == "after":
            response = self._deliver(fake.charges(self.invoice.name)[0])
            self.assertEqual(response.status_code, 200)
            tx._post_process()  # What Odoo's post-processing job does next.
        with fake.edge():
            self._check()
            self._tries_again(fake)
        self._assert_paid_once(fake)
        return fake

    # ------------------------------------------------------------
    # ANSWER LOST AFTER STRIPE CHARGED
    # ------------------------------------------------------------

    def test_connection_cut_webhook_after(self):
        self._lose("connection", "after")

    def test_connection_cut_webhook_never(self):
        fake = self._lose("connection", "never")
        # Stripe was asked: the customer's PaymentIntents since the charge.
        lists = [
            r for r in fake.requests if r["endpoint"].startswith("payment_intents?")
        ]
        self.assertEqual(len(lists), 1)
        self.assertIn(f"customer={bodies.CUSTOMER}", lists[0]["endpoint"])

    def test_server_error_webhook_after(self):
        self._lose("server_error", "after")

    def test_server_error_webhook_never(self):
        self._lose("server_error", "never")

    def test_timeout_webhook_after(self):
        self._lose("timeout", "after")

    def test_timeout_webhook_never(self):
        self._lose("timeout", "never")

    # ------------------------------------------------------------
    # ASKED AGAIN
    # ------------------------------------------------------------

    def test_request_that_never_reached_stripe_is_sent_again_as_it_was(self):
        fake = FakeStripe(lose="unreached")
        with fake.edge(), mute_logger(*MUTED):
            tx = self._charge()
        self.assertTrue(tx.recurring_outcome_unknown)
        self.assertFalse(fake.charges())

        # Not asked before the delay.
        self.assertFalse(self._check("2026-01-05 00:10:00"))
        self.assertEqual(len(fake.posts()), 1)

        with fake.edge():
            self._check()

        posts = fake.posts()
        self.assertEqual(len(posts), 2)
        self.assertEqual(posts[0]["payload"], posts[1]["payload"])
        self.assertEqual(
            posts[1]["idempotency_key"],
            payment_utils.generate_idempotency_key(tx, scope="payment_intents_token"),
        )
        self.assertEqual(posts[0]["idempotency_key"], posts[1]["idempotency_key"])
        self.assertEqual(tx.recurring_send_count, 2)
        self._assert_paid_once(fake)

    def test_decline_found_when_asking_is_a_failure_with_its_codes(self):
        fake = FakeStripe(status="requires_payment_method", lose="timeout")
        with fake.edge(), mute_logger(*MUTED):
            tx = self._charge()
        self.assertEqual(self.invoice.recurring_charge_state, "unknown")

        with fake.edge():
            self._check()

        self.assertRecordValues(
            tx,
            [
                {
                    "state": "error",
                    "recurring_outcome_unknown": False,
                    "error_code": "card_declined",
                    "decline_code": "insufficient_funds",
                    "failure_class": "soft",
                }
            ],
        )
        self.assertEqual(self.invoice.recurring_charge_state, "failed")
        self.assertEqual(self.invoice.payment_state, "not_paid")
        self.assertEqual(len(fake.posts()), 1, fake.requests)

    def test_sepa_debit_still_processing_stays_pending(self):
        self.subscription = self.invoice.subscription_id
        fake = FakeStripe(status="processing", lose="server_error")
        self.invoice.recurring_prenotified = True
        self.invoice.subscription_id.payment_token_id = self.sepa_token
        with fake.edge(), mute_logger(*MUTED):
            tx = self._charge()
            self._check()
        self.assertEqual(tx.state, "pending")
        self.assertFalse(tx.recurring_outcome_unknown)
        self.assertEqual(self.invoice.recurring_charge_state, "pending")
        self.assertEqual(len(fake.posts()), 1)
        # Settled days later: asked again while pending.
        fake.intents[tx.provider_reference]["status"] = "succeeded"
        with fake.edge():
            self._check("2026-01-09 09:00:00")
        self.assertEqual(tx.state, "done")
        self.assertIn(self.invoice.payment_state, PAID)

    def test_accountant_asks_the_provider_now(self):
        fake = FakeStripe(lose="timeout")
        with fake.edge(), mute_logger(*MUTED):
            self._charge()
        accountant = self._create_role_user("accountant", "lost_answer_accountant")
        with fake.edge(), mute_logger(*MUTED):
            self.invoice.with_user(accountant).action_recurring_check_charge()
        self._assert_paid_once(fake)

    # ------------------------------------------------------------
    # WEBHOOKS THAT MATCH NO TRANSACTION
    # ------------------------------------------------------------

    def test_unmatched_webhook_is_not_processed_and_redelivered(self):
        intent = bodies.payment_intent("INV/2026/99999", 7920)
        response = self._deliver(intent)

        self.assertEqual(response.status_code, 404, "Stripe delivers it again")
        event = self.Event.search([("stripe_event_id", "=", "evt_3LostAnswer0001")])
        self.assertEqual(event.state, "unmatched")
        self.assertIn("INV/2026/99999", event.payload)
        unmatched = self.Event.search([("state", "=", "unmatched")])
        self.assertEqual(unmatched, event, "listed for the accountant")

        # Redelivered while still unknown: still unmatched, recorded once.
        self.events -= 1
        self.assertEqual(self._deliver(intent).status_code, 404)
        self.assertEqual(
            self.Event.search_count([("stripe_event_id", "=", event.stripe_event_id)]),
            1,
        )

    def test_accountant_processes_an_unmatched_event_again(self):
        fake = FakeStripe()
        intent = bodies.payment_intent(self.invoice.name, 7920)
        self.assertEqual(self._deliver(intent).status_code, 404)  # No charge yet.
        event = self.Event.search([("state", "=", "unmatched")])
        accountant = self._create_role_user("accountant", "lost_answer_accountant")

        event.with_user(accountant).action_process_again()
        self.assertEqual(event.state, "unmatched")

        with fake.edge(), mute_logger(*MUTED):
            self._charge()
            event.with_user(accountant).action_process_again()
        self.assertEqual(event.state, "processed")
        self._assert_paid_once(fake)
