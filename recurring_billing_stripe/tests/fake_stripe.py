# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Stripe's side of off-session charges, at payment_stripe's request helper,
as Stripe's API behaves (https://docs.stripe.com/api/idempotent_requests,
https://docs.stripe.com/error-handling): a PaymentIntent is created once per
idempotency key, and a request sent again with the same key gets the same
PaymentIntent back without a second charge; PaymentIntents are retrieved by
id and listed per customer, newest first.

What the request helper gives Odoo when the answer is lost is what
``payment_stripe``'s own ``_stripe_make_request`` gives: a ``ValidationError``
for a connection error, a ``requests`` timeout as is, and the JSON body of a
5xx answer (``api_error``)."""

import copy
import itertools
import threading
import time
from contextlib import contextmanager
from unittest.mock import patch
from urllib.parse import parse_qs, urlsplit

import requests

from odoo.exceptions import ValidationError

from odoo.addons.payment_stripe.models.payment_provider import (
    PaymentProvider as StripeProvider,
)

from . import stripe_bodies as bodies

SERVER_ERROR = {
    "error": {
        "message": "An unknown error occurred",
        "request_log_url": "https://dashboard.stripe.com/test/logs/req_5xx",
        "type": "api_error",
    }
}


class FakeStripe:
    """A Stripe account answering charges.

    :param status: the status of every PaymentIntent it creates
        (``succeeded``, ``processing``, ``requires_payment_method``...)
    :param lose: how the answer to the next charge requests is lost:
        ``connection`` (cut after Stripe charged), ``server_error`` (a 5xx after
        Stripe charged), ``timeout`` (the answer came after the timeout),
        ``unreached`` (a connection error before Stripe got the request); or a
        list of them, one per charge request
    :param lose_count: how many charge requests lose their answer (then the
        answers arrive)
    :param during: called with the PaymentIntent once Stripe created it and
        before the answer is lost or given (a webhook delivered meanwhile)
    """

    _ids = itertools.count(1)

    def __init__(self, status="succeeded", lose=None, lose_count=1, during=None):
        self.status = status
        self.lose = lose
        self.lose_count = lose_count
        self.during = during
        self.intents = {}  # id -> PaymentIntent
        self.by_key = {}  # idempotency key -> PaymentIntent id
        self.requests = []
        self.lock = threading.Lock()

    # ------------------------------------------------------------
    # WHAT STRIPE DID
    # ------------------------------------------------------------

    def charges(self, reference=None, status="succeeded"):
        """The PaymentIntents of ``reference`` (all by default) that reached
        ``status``: the money Stripe took."""
        return [
            intent
            for intent in self.intents.values()
            if intent["status"] == status
            and (reference is None or intent["description"] == reference)
        ]

    def posts(self):
        return [r for r in self.requests if r["method"] == "POST"]

    # ------------------------------------------------------------
    # THE API
    # ------------------------------------------------------------

    def request(
        self,
        provider,
        endpoint,
        payload=None,
        method="POST",
        offline=False,
        idempotency_key=None,
    ):
        with self.lock:
            self.requests.append(
                {
                    "endpoint": endpoint,
                    "method": method,
                    "payload": payload,
                    "offline": offline,
                    "idempotency_key": idempotency_key,
                }
            )
            lose = None
            if method == "POST" and endpoint == "payment_intents" and self.lose:
                if isinstance(self.lose, list):
                    lose = self.lose.pop(0) if self.lose else None
                elif self.lose_count > 0:
                    lose = self.lose
                    self.lose_count -= 1
        if method == "POST" and endpoint == "payment_intents":
            return self._create_intent(payload, idempotency_key, lose)
        if method == "GET" and endpoint.startswith("payment_intents?"):
            return self._list_intents(endpoint)
        if method == "GET" and endpoint.startswith("payment_intents/"):
            intent = self.intents.get(endpoint.split("/", 1)[1])
            if not intent:
                raise ValidationError("Stripe: No such payment_intent")
            return copy.deepcopy(intent)
        raise AssertionError(f"Unexpected Stripe request {method} {endpoint}")

    def _create_intent(self, payload, idempotency_key, lose):
        if lose == "unreached":
            raise ValidationError(
                "Stripe: Could not establish the connection to the API."
            )
        with self.lock:
            intent_id = self.by_key.get(idempotency_key)
            if not intent_id:
                intent_id = f"pi_3Fake{next(self._ids):018d}"
                status = self.status
                intent = bodies.payment_intent(
                    payload["description"],
                    payload["amount"],
                    status=status,
                    payment_method=bodies.sepa_payment_method()
                    if payload["payment_method"] == bodies.SEPA_PM
                    else None,
                    last_payment_error=None
                    if status != "requires_payment_method"
                    else {
                        "code": "card_declined",
                        "decline_code": "insufficient_funds",
                        "message": "Your card has insufficient funds.",
                        "type": "card_error",
                    },
                    charge_status="failed"
                    if status == "requires_payment_method"
                    else None,
                )
                intent["id"] = intent_id
                intent["created"] = int(time.time())
                for charge in intent["charges"]["data"]:
                    charge["payment_intent"] = intent_id
                self.intents[intent_id] = intent
                self.by_key[idempotency_key] = intent_id
            intent = copy.deepcopy(self.intents[intent_id])
        if self.during:
            self.during(intent)
        if lose == "connection":
            raise ValidationError(
                "Stripe: Could not establish the connection to the API."
            )
        if lose == "server_error":
            return copy.deepcopy(SERVER_ERROR)
        if lose == "timeout":
            raise requests.exceptions.ReadTimeout("Read timed out. (read timeout=60)")
        if intent["status"] == "requires_payment_method":
            return {
                "error": dict(
                    intent["last_payment_error"],
                    payment_intent=intent,
                    charge=intent["charges"]["data"][0]["id"],
                )
            }
        return intent

    def _list_intents(self, endpoint):
        query = parse_qs(urlsplit(endpoint).query)
        customer = query["customer"][0]
        since = int(query.get("created[gte]", ["0"])[0])
        with self.lock:
            intents = [
                copy.deepcopy(intent)
                for intent in self.intents.values()
                if intent["customer"] == customer and intent["created"] >= since
            ]
        intents.reverse()  # Newest first.
        return {
            "object": "list",
            "data": intents,
            "has_more": False,
            "url": "/v1/payment_intents",
        }

    @contextmanager
    def edge(self):
        """Stripe answers Odoo's requests while the context lasts."""
        fake = self

        def fake_stripe_make_request(provider, endpoint, **kwargs):
            return fake.request(provider, endpoint, **kwargs)

        with patch.object(
            StripeProvider, "_stripe_make_request", fake_stripe_make_request
        ):
            yield self
