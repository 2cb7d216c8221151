# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from urllib.parse import parse_qs

import stripe

from odoo.exceptions import UserError
from odoo.tests import tagged

from .. import const
from .common import RecurringStripeCommon, capture_logs

ERROR_500 = (500, {"error": {"type": "api_error", "message": "Server error"}})


@tagged("post_install", "-at_install")
class TestStripeClient(RecurringStripeCommon):
    def _create_intent(self, provider, idempotency_key):
        return provider._recurring_stripe_client().v1.payment_intents.create(
            params={
                "amount": 1200,
                "currency": "eur",
                "customer": "cus_test",
                "payment_method": "pm_test",
                "off_session": True,
                "confirm": True,
            },
            options={"idempotency_key": idempotency_key},
        )

    # ------------------------------------------------------------
    # CLIENT
    # ------------------------------------------------------------

    def test_client_sends_provider_key_and_idempotency_key(self):
        provider, fake = self._fake_provider((200, self.payment_intent))
        key = provider._recurring_stripe_idempotency_key("invoice", 42, 1)

        intent = self._create_intent(provider, key)

        self.assertEqual(intent.id, self.payment_intent["id"])
        self.assertEqual(intent.status, "succeeded")
        self.assertEqual(len(fake.sent_requests), 1)
        sent = fake.sent_requests[0]
        self.assertEqual(sent["method"], "post")
        self.assertEqual(sent["url"], "https://api.stripe.com/v1/payment_intents")
        self.assertEqual(sent["headers"]["Authorization"], f"Bearer {self.secret_key}")
        self.assertEqual(sent["headers"]["Idempotency-Key"], key)
        self.assertEqual(
            parse_qs(sent["post_data"]),
            {
                "amount": ["1200"],
                "currency": ["eur"],
                "customer": ["cus_test"],
                "payment_method": ["pm_test"],
                "off_session": ["true"],
                "confirm": ["true"],
            },
        )

    def test_client_uses_current_secret_key(self):
        self.stripe.stripe_secret_key = "sk_test_rotatedKey0000000000"
        provider, fake = self._fake_provider((200, self.payment_intent))

        self._create_intent(provider, provider._recurring_stripe_idempotency_key("x"))

        self.assertEqual(
            fake.sent_requests[0]["headers"]["Authorization"],
            "Bearer sk_test_rotatedKey0000000000",
        )

    def test_http_client_gets_explicit_timeout(self):
        provider, fake = self._fake_provider((200, self.payment_intent))

        provider._recurring_stripe_client()

        self.assertEqual(fake.timeouts, [const.STRIPE_TIMEOUT])
        # Far below the SDK default of 80 s, so a stalled call frees the worker.
        self.assertLessEqual(sum(const.STRIPE_TIMEOUT), 40)

    def test_default_http_client_is_requests_with_timeout(self):
        client = self.stripe._recurring_stripe_client()

        # Reads SDK internals (stripe 16): the client built for production.
        http_client = client._requestor._client
        self.assertIsInstance(http_client, stripe.RequestsClient)
        self.assertEqual(http_client._timeout, const.STRIPE_TIMEOUT)

    def test_retries_are_bounded_and_reuse_idempotency_key(self):
        provider, fake = self._fake_provider(ERROR_500)
        key = provider._recurring_stripe_idempotency_key("invoice", 42, 1)

        with (
            capture_logs("stripe", "odoo.addons.recurring_billing_stripe") as records,
            self.assertRaises(stripe.APIError),
        ):
            self._create_intent(provider, key)

        self.assertEqual(len(fake.sent_requests), 1 + const.STRIPE_MAX_NETWORK_RETRIES)
        self.assertEqual(
            {sent["headers"]["Idempotency-Key"] for sent in fake.sent_requests}, {key}
        )
        messages = [record.getMessage() for record in records]
        self.assertTrue(messages, "The SDK logs its retries.")
        self.assertFalse(
            [message for message in messages if self.secret_key in message],
            "The secret key must never be logged.",
        )

    def test_non_stripe_provider_is_refused(self):
        with self.assertRaisesRegex(UserError, "is not a Stripe provider"):
            self.dummy_provider._recurring_stripe_client()

    def test_provider_without_secret_key_is_refused(self):
        self.stripe.write({"state": "disabled", "stripe_secret_key": False})

        with self.assertRaisesRegex(UserError, "Set the secret key"):
            self.stripe._recurring_stripe_client()

    def test_context_cannot_inject_anything_but_an_http_client_class(self):
        provider = self.stripe.with_context(
            **{const.HTTP_CLIENT_CLASS_CONTEXT_KEY: object}
        )

        client = provider._recurring_stripe_client()

        self.assertIsInstance(client._requestor._client, stripe.RequestsClient)

    # ------------------------------------------------------------
    # IDEMPOTENCY KEY
    # ------------------------------------------------------------

    def test_idempotency_key_is_deterministic(self):
        key = self.stripe._recurring_stripe_idempotency_key("invoice", 42, 1)

        self.assertEqual(
            key, self.stripe._recurring_stripe_idempotency_key("invoice", 42, 1)
        )
        self.assertTrue(key.startswith(const.IDEMPOTENCY_KEY_PREFIX))
        self.assertLessEqual(len(key), 255)

    def test_idempotency_key_differs_per_operation(self):
        keys = {
            self.stripe._recurring_stripe_idempotency_key(*parts)
            for parts in [
                ("invoice", 42, 1),
                ("invoice", 42, 2),
                ("invoice", 43, 1),
                ("invoice", "42|1"),
                ("invoice|42", 1),
            ]
        }
        self.assertEqual(len(keys), 5)

    def test_idempotency_key_differs_per_database(self):
        key = self.stripe._recurring_stripe_idempotency_key("invoice", 42, 1)
        self.env["ir.config_parameter"].sudo().set_param(
            "database.uuid", "00000000-0000-4000-8000-000000000000"
        )

        self.assertNotEqual(
            key, self.stripe._recurring_stripe_idempotency_key("invoice", 42, 1)
        )

    def test_idempotency_key_needs_parts(self):
        with self.assertRaises(ValueError):
            self.stripe._recurring_stripe_idempotency_key()
        with self.assertRaises(ValueError):
            self.stripe._recurring_stripe_idempotency_key("invoice", None)
