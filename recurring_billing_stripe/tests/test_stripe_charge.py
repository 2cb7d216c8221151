# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The charge of subscription invoices through payment_stripe, Stripe's
network edge replaced by answers copied from its API reference."""

import requests

from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.payment import utils as payment_utils

from . import stripe_bodies as bodies
from .common import RecurringStripePaymentCommon, stripe_answers

AMOUNT = 7920  # 79.20 EUR in cents: (30 + 3 x 12) x 1.2

MUTED = (
    "odoo.addons.payment_stripe.models.payment_transaction",
    "odoo.addons.payment.models.payment_transaction",
)


@tagged("post_install", "-at_install")
class TestStripeCharge(RecurringStripePaymentCommon):
    def _charge_with(self, invoice, answer):
        with stripe_answers(answer) as calls, mute_logger(*MUTED):
            tx = self._charge()
        self.assertEqual(tx.recurring_invoice_id, invoice)
        return tx, calls

    def test_succeeded_charge_pays_the_invoice(self):
        invoice = self._stripe_subscription_invoice()

        tx, calls = self._charge_with(
            invoice, lambda endpoint: bodies.payment_intent(invoice.name, AMOUNT)
        )

        self.assertEqual(len(calls), 1)
        call = calls[0]
        self.assertEqual(call["endpoint"], "payment_intents")
        self.assertTrue(call["offline"])
        self.assertEqual(
            call["idempotency_key"],
            payment_utils.generate_idempotency_key(tx, scope="payment_intents_token"),
        )
        self.assertEqual(call["payload"]["amount"], AMOUNT)
        self.assertEqual(call["payload"]["currency"], "eur")
        self.assertEqual(call["payload"]["customer"], bodies.CUSTOMER)
        self.assertEqual(call["payload"]["payment_method"], bodies.CARD_PM)
        self.assertTrue(call["payload"]["off_session"])
        self.assertTrue(call["payload"]["confirm"])
        self.assertEqual(call["payload"]["description"], invoice.name)
        self.assertRecordValues(
            tx,
            [
                {
                    "state": "done",
                    "provider_reference": "pi_3MtwBwLkdIwHu7ix28a3tqPa",
                    "is_post_processed": True,
                    "failure_class": False,
                }
            ],
        )
        self.assertEqual(invoice.recurring_charge_state, "done")
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(tx.payment_id.amount, 79.20)

    def test_card_declined_keeps_stripe_codes(self):
        invoice = self._stripe_subscription_invoice()
        answer = bodies.card_error(
            invoice.name,
            AMOUNT,
            "card_declined",
            "insufficient_funds",
            "Your card has insufficient funds.",
            advice_code="try_again_later",
        )

        tx, _calls = self._charge_with(invoice, answer)

        self.assertRecordValues(
            tx,
            [
                {
                    "state": "error",
                    "error_code": "card_declined",
                    "decline_code": "insufficient_funds",
                    "advice_code": "try_again_later",
                    "failure_class": "soft",
                    "provider_reference": "pi_3MtwBwLkdIwHu7ix28a3tqPa",
                }
            ],
        )
        self.assertIn("insufficient funds", tx.state_message)
        self.assertEqual(invoice.recurring_charge_state, "failed")
        self.assertEqual(invoice.payment_state, "not_paid")
        self.assertTrue(self._activities(invoice.subscription_id))
        # A failure is final for this attempt: the job does not charge again.
        with stripe_answers(answer) as calls:
            self.assertFalse(self._charge())
        self.assertFalse(calls)

    def test_authentication_required_emails_the_pay_link(self):
        invoice = self._stripe_subscription_invoice()
        answer = bodies.card_error(
            invoice.name,
            AMOUNT,
            "authentication_required",
            "authentication_required",
            "Your card was declined. This transaction requires authentication.",
        )

        tx, _calls = self._charge_with(invoice, answer)

        self.assertEqual(tx.failure_class, "customer")
        self.assertEqual(tx.error_code, "authentication_required")
        message = self._messages_with_subject(invoice, "confirm the payment")
        self.assertEqual(len(message), 1)
        self.assertIn(invoice.get_portal_url(), message.body)

    def test_expired_card_is_a_hard_failure(self):
        invoice = self._stripe_subscription_invoice()
        answer = bodies.card_error(
            invoice.name,
            AMOUNT,
            "expired_card",
            "expired_card",
            "Your card has expired.",
        )

        tx, _calls = self._charge_with(invoice, answer)

        self.assertEqual(tx.failure_class, "hard")
        self.assertEqual(tx.decline_code, "expired_card")
        self.assertTrue(
            self._messages_with_subject(invoice, "payment method was refused")
        )

    def test_stripe_server_error_is_an_unknown_outcome(self):
        invoice = self._stripe_subscription_invoice()
        answer = {
            "error": {"type": "api_error", "message": "An unknown error occurred"}
        }

        with mute_logger(
            "odoo.addons.recurring_billing.models.recurring_invoice_payment"
        ):
            tx, _calls = self._charge_with(invoice, answer)

        # Stripe may have charged: neither a decline nor a retry.
        self.assertRecordValues(
            tx,
            [
                {
                    "state": "draft",
                    "recurring_outcome_unknown": True,
                    "failure_class": False,
                }
            ],
        )
        self.assertEqual(invoice.recurring_charge_state, "unknown")
        self.assertFalse(
            self._messages_with_subject(invoice, "payment method was refused")
        )
        self.assertFalse(self._activities(invoice.subscription_id))

    def test_no_answer_in_time_is_an_unknown_outcome(self):
        invoice = self._stripe_subscription_invoice()

        def timeout(endpoint):
            raise requests.exceptions.ReadTimeout("Read timed out. (read timeout=60)")

        with (
            stripe_answers(timeout) as calls,
            mute_logger(
                *MUTED, "odoo.addons.recurring_billing.models.recurring_invoice_payment"
            ),
        ):
            tx = self._charge()

        self.assertEqual(len(calls), 1)
        # Stripe may have charged: no new attempt until Stripe is asked.
        self.assertEqual(tx.state, "draft")
        self.assertTrue(tx.recurring_outcome_unknown)
        self.assertEqual(invoice.recurring_charge_state, "unknown")
        with stripe_answers(timeout) as calls:
            invoice.action_recurring_charge_now()
            self.assertFalse(self._charge("2026-01-06"))
        self.assertFalse(calls)

    def test_sepa_debit_stays_pending_until_the_webhook(self):
        self.template_auto.charge_delay_days = 2
        invoice = self._stripe_subscription_invoice(token=self.sepa_token)
        with stripe_answers({}) as calls:
            self._charge()  # The pre-notification, no request.
        self.assertFalse(calls)
        self.assertTrue(invoice.recurring_prenotified)
        answer = bodies.payment_intent(
            invoice.name,
            AMOUNT,
            status="processing",
            payment_method=bodies.sepa_payment_method(),
        )

        with stripe_answers(answer) as calls, mute_logger(*MUTED):
            tx = self._charge("2026-01-07")

        self.assertEqual(calls[0]["payload"]["payment_method"], bodies.SEPA_PM)
        self.assertEqual(tx.state, "pending")
        self.assertEqual(invoice.recurring_charge_state, "pending")
        self.assertEqual(invoice.payment_state, "not_paid")
        # The mandate of the debit is kept on the token.
        self.assertEqual(self.sepa_token.stripe_mandate, bodies.MANDATE)
        self.assertEqual(
            self.sepa_token._recurring_get_mandate_reference(), bodies.MANDATE
        )
        with stripe_answers(answer) as calls:
            self.assertFalse(self._charge("2026-01-08"))
        self.assertFalse(calls, "A pending debit is never charged twice.")

    def test_setup_intent_token_keeps_mandate_and_card_expiry(self):
        tx = self.env["payment.transaction"].create(
            {
                "provider_id": self.stripe.id,
                "payment_method_id": self.method_sepa.id,
                "amount": 0.0,
                "currency_id": self.company.currency_id.id,
                "partner_id": self.customer.id,
                "operation": "validation",
                "tokenize": True,
            }
        )
        setup_intent = {
            "id": "seti_1NxqLYLkdIwHu7ix",
            "object": "setup_intent",
            "customer": bodies.CUSTOMER,
            "mandate": bodies.MANDATE,
            "payment_method": bodies.sepa_payment_method(),
            "status": "succeeded",
            "usage": "off_session",
        }
        with mute_logger(*MUTED):
            tx._process_notification_data(
                {
                    "reference": tx.reference,
                    "setup_intent": setup_intent,
                    "payment_method": bodies.sepa_payment_method(),
                }
            )
        self.assertEqual(tx.token_id.stripe_mandate, bodies.MANDATE)
        self.assertEqual(tx.token_id.stripe_payment_method, bodies.SEPA_PM)

    def test_card_token_gets_its_expiry(self):
        self.card_token._recurring_stripe_apply_payment_method(
            bodies.card_payment_method(exp_month=2, exp_year=2028, last4="1881")
        )
        self.assertEqual(str(self.card_token.expiry_date), "2028-02-29")
        self.assertEqual(self.card_token.payment_details, "1881")

    def test_missing_webhook_secret_is_a_configuration_error(self):
        self.assertFalse(self.stripe.recurring_stripe_config_error)
        self.stripe.stripe_webhook_secret = False
        self.assertIn(
            "No webhook signing secret", self.stripe.recurring_stripe_config_error
        )
        self.assertTrue(
            self.stripe.recurring_stripe_webhook_url.endswith(
                f"/recurring_billing/stripe/webhook/{self.stripe.id}"
            )
        )
