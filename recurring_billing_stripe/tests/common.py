# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import json
import logging
from contextlib import contextmanager

import stripe
from requests.structures import CaseInsensitiveDict

from odoo.addons.payment_stripe.tests.common import StripeCommon

from ..const import HTTP_CLIENT_CLASS_CONTEXT_KEY


class FakeStripeHTTPClient(stripe.HTTPClient):
    """The network edge of the Stripe SDK, replaced for tests.

    Do not use this class directly: `make_fake_http_client_class` gives each
    test its own subclass, whose class attributes record what the SDK sent
    (`sent_requests`), the timeout each instance was built with (`timeouts`)
    and hold the answers to give, in order (`answers`, the last one repeats).
    """

    name = "recurring_billing_fake"
    sent_requests = None
    timeouts = None
    answers = None

    def __init__(self, timeout=None, **kwargs):
        super().__init__(**kwargs)
        type(self).timeouts.append(timeout)

    def _sleep_time_seconds(self, num_retries):
        return 0  # Retry at once: the retry count is what is tested.

    def request(self, method, url, headers, post_data=None):
        type(self).sent_requests.append(
            {
                "method": method,
                "url": url,
                "headers": dict(headers or {}),
                "post_data": post_data,
            }
        )
        answers = type(self).answers
        status, body = answers.pop(0) if len(answers) > 1 else answers[0]
        return (
            json.dumps(body),
            status,
            CaseInsensitiveDict({"Request-Id": "req_test"}),
        )

    def request_stream(self, method, url, headers, post_data=None):
        raise NotImplementedError()

    def close(self):
        pass


def make_fake_http_client_class(*answers):
    """Return a new `FakeStripeHTTPClient` subclass answering `answers`.

    :param answers: (HTTP status, JSON body) tuples.
    """
    return type(
        "FakeStripeHTTPClient",
        (FakeStripeHTTPClient,),
        {"sent_requests": [], "timeouts": [], "answers": list(answers)},
    )


@contextmanager
def capture_logs(*logger_names):
    """Collect every record, down to DEBUG, of the given loggers."""
    records = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = records.append
    loggers = [logging.getLogger(name) for name in logger_names]
    saved = [(logger.level, logger.propagate) for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
        logger.propagate = False
    try:
        yield records
    finally:
        for logger, (level, propagate) in zip(loggers, saved, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)
            logger.propagate = propagate


class RecurringStripeCommon(StripeCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.secret_key = cls.stripe.sudo().stripe_secret_key
        cls.payment_intent = {
            "id": "pi_3PtestRecurring0001",
            "object": "payment_intent",
            "amount": 1200,
            "currency": "eur",
            "status": "succeeded",
        }

    def _fake_provider(self, *answers):
        """Return the Stripe provider talking to a fake Stripe answering
        `answers`, and the fake HTTP client class to inspect."""
        client_class = make_fake_http_client_class(*answers)
        provider = self.stripe.with_context(
            **{HTTP_CLIENT_CLASS_CONTEXT_KEY: client_class}
        )
        return provider, client_class
