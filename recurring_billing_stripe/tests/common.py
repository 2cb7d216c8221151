# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import copy
import hashlib
import hmac
import json
import time
from contextlib import contextmanager
from unittest.mock import patch

from odoo import Command

from odoo.addons.payment_stripe.models.payment_provider import (
    PaymentProvider as StripeProvider,
)
from odoo.addons.payment_stripe.tests.common import StripeCommon
from odoo.addons.recurring_billing.tests.payment_common import RecurringPaymentCommon

from . import stripe_bodies

WEBHOOK_SECRET = "whsec_vG1fL6CMUouQ7cObF2VJprLVXT5jBLxB"


class RecurringStripeCommon(StripeCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.payment_intent = {
            "id": "pi_3PtestRecurring0001",
            "object": "payment_intent",
            "amount": 1200,
            "currency": "eur",
            "status": "succeeded",
        }


@contextmanager
def stripe_answers(*answers):
    """Replace Stripe's network edge (``payment_stripe``'s request helper, as
    ``payment_stripe/tests/test_stripe.py`` does) with ``answers``, given in
    order (the last one repeats): a dict, or a function of the endpoint.

    :return: the list of the requests made, as dicts
    """
    calls = []
    answers = list(answers)

    def fake_stripe_make_request(
        provider,
        endpoint,
        payload=None,
        method="POST",
        offline=False,
        idempotency_key=None,
    ):
        calls.append(
            {
                "provider": provider,
                "endpoint": endpoint,
                "payload": payload,
                "method": method,
                "offline": offline,
                "idempotency_key": idempotency_key,
            }
        )
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if callable(answer):
            answer = answer(endpoint)
        return copy.deepcopy(answer)

    with patch.object(StripeProvider, "_stripe_make_request", fake_stripe_make_request):
        yield calls


def sign(payload, secret=WEBHOOK_SECRET, timestamp=None):
    """The ``Stripe-Signature`` header Stripe sends with ``payload``."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = hmac.new(
        secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={signature}"


class RecurringStripePaymentCommon(RecurringPaymentCommon):
    """A Stripe provider (test keys, webhook secret) in the subscription
    company, with the customer's saved card and SEPA mandate."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.method_card_stripe = cls.env.ref("payment.payment_method_card")
        cls.method_sepa = cls.env.ref("payment.payment_method_sepa_direct_debit")
        base = (
            cls.env["payment.provider"]
            .sudo()
            .search([("code", "=", "stripe")], limit=1)
        )
        cls.stripe = base.copy(
            {
                "name": "Stripe",
                "company_id": cls.company.id,
                "journal_id": cls.bank_journal.id,
            }
        ).sudo(False)
        cls.stripe.write(
            {
                "state": "test",
                "stripe_secret_key": "sk_test_KJtHgNwt2KS3xM7QJPr4O5E8",
                "stripe_publishable_key": "pk_test_QSPnimmb4ZhtkEy3Uhdm4S6J",
                "stripe_webhook_secret": WEBHOOK_SECRET,
                "allow_tokenization": True,
            }
        )
        methods = cls.method_card_stripe + cls.method_sepa
        methods.write({"provider_ids": [Command.link(cls.stripe.id)]})
        methods.write({"active": True})
        cls.card_token = cls._create_token(
            provider=cls.stripe,
            payment_method_id=cls.method_card_stripe.id,
            provider_ref=stripe_bodies.CUSTOMER,
            stripe_payment_method=stripe_bodies.CARD_PM,
        )
        cls.sepa_token = cls._create_token(
            provider=cls.stripe,
            payment_method_id=cls.method_sepa.id,
            payment_details="3000",
            provider_ref=stripe_bodies.CUSTOMER,
            stripe_payment_method=stripe_bodies.SEPA_PM,
        )

    def _stripe_subscription_invoice(self, token=None):
        subscription = self._create_charged_subscription(token=token or self.card_token)
        return self._invoice(subscription)

    @staticmethod
    def _json(data):
        return json.dumps(data)
