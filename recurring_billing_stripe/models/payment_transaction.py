# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import calendar
import logging
from datetime import timedelta
from urllib.parse import urlencode

from odoo import models

from odoo.addons.payment_stripe.controllers.main import StripeController

from .. import const

_logger = logging.getLogger(__name__)


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _stripe_create_intent(self):
        """Override of `payment_stripe` to keep Stripe's error codes, which it
        reduces to the error message (e.g. a 402 ``card_declined`` with its
        ``decline_code`` and ``advice_code``)."""
        errors = []
        intent = super(
            PaymentTransaction,
            self.with_context(**{const.ERRORS_CONTEXT_KEY: errors}),
        )._stripe_create_intent()
        if errors:
            self._recurring_stripe_record_error(errors[-1])
        return intent

    def _recurring_stripe_record_error(self, error):
        """Keep the codes of a Stripe error object on the transaction.

        :param dict error: a Stripe error (``error`` of an answer, or the
            ``last_payment_error`` of a PaymentIntent)
        """
        self.ensure_one()
        values = {
            "error_code": error.get("code") or False,
            "decline_code": error.get("decline_code") or False,
            "advice_code": error.get("advice_code") or False,
        }
        if any(values.values()):
            self.write(values)

    def _process_notification_data(self, notification_data):
        """Override of `payment_stripe`: keep the error codes of a failed
        PaymentIntent, and the SEPA mandate of the token that paid."""
        super()._process_notification_data(notification_data)
        if self.provider_code != "stripe":
            return
        intent = notification_data.get("payment_intent")
        if not isinstance(intent, dict):
            return
        last_error = intent.get("last_payment_error")
        if self.state in ("error", "cancel") and isinstance(last_error, dict):
            if not self.error_code and not self.decline_code:
                self._recurring_stripe_record_error(last_error)
        mandate = self._recurring_stripe_get_mandate(intent)
        if mandate and self.token_id and not self.token_id.stripe_mandate:
            self.token_id.sudo().stripe_mandate = mandate

    def _recurring_query_provider(self):
        """Override of `recurring_billing`: read the charge's PaymentIntent at
        Stripe, by its id when the answer gave it, otherwise among the
        customer's PaymentIntents created since the charge (Odoo sends the
        reference as their description), and process it as Stripe's answer."""
        if self.provider_code != "stripe":
            return super()._recurring_query_provider()
        self.ensure_one()
        provider = self.provider_id
        if self.provider_reference:
            intent = provider._stripe_make_request(
                f"payment_intents/{self.provider_reference}", method="GET"
            )
            if "error" in intent:
                raise ValueError(intent["error"].get("message") or intent["error"])
        else:
            intent = self._recurring_stripe_find_intent()
            if intent is None:
                return False
        notification_data = {"reference": self.reference}
        StripeController._include_payment_intent_in_notification_data(
            intent, notification_data
        )
        self._handle_notification_data("stripe", notification_data)
        return True

    def _recurring_stripe_find_intent(self):
        """The PaymentIntent Stripe created for this charge, or ``None`` when
        Stripe has none: the customer's PaymentIntents created since a day
        before the transaction, whose description is its reference.

        :raise ValueError: when Stripe does not answer the list
        """
        self.ensure_one()
        # A day of margin for the clocks of Odoo, its database and Stripe.
        first_sent = min(filter(None, (self.create_date, self.recurring_sent_datetime)))
        since = calendar.timegm((first_sent - timedelta(days=1)).timetuple())
        params = {
            "customer": self.token_id.provider_ref,
            "created[gte]": since,
            "limit": 100,
        }
        for _page in range(const.INTENT_LOOKUP_MAX_PAGES):
            answer = self.provider_id._stripe_make_request(
                f"payment_intents?{urlencode(params)}", method="GET"
            )
            if "error" in answer or not isinstance(answer.get("data"), list):
                raise ValueError(
                    (answer.get("error") or {}).get("message")
                    or "Stripe did not list the PaymentIntents."
                )
            for intent in answer["data"]:
                if intent.get("description") == self.reference:
                    return intent
            if not answer.get("has_more") or not answer["data"]:
                return None
            params["starting_after"] = answer["data"][-1]["id"]
        raise ValueError("Too many PaymentIntents to look through.")

    def _stripe_tokenize_from_notification_data(self, notification_data):
        """Override of `payment_stripe`: the new token also keeps its SEPA
        mandate when it was saved without a payment (SetupIntent), and the
        expiry of its card."""
        super()._stripe_tokenize_from_notification_data(notification_data)
        token = self.token_id.sudo()
        if not token:
            return
        setup_intent = notification_data.get("setup_intent") or {}
        mandate = (
            setup_intent.get("mandate") if isinstance(setup_intent, dict) else None
        )
        if isinstance(mandate, dict):
            mandate = mandate.get("id")
        if mandate and not token.stripe_mandate:
            token.stripe_mandate = mandate
        payment_method = notification_data.get("payment_method")
        if isinstance(payment_method, dict):
            token._recurring_stripe_apply_payment_method(payment_method)

    def _recurring_stripe_get_mandate(self, intent):
        """The mandate id of the charge of a PaymentIntent, if any."""
        charges = (intent.get("charges") or {}).get("data") or []
        for charge in charges:
            details = charge.get("payment_method_details") or {}
            method_details = details.get(details.get("type")) or {}
            if method_details.get("mandate"):
                return method_details["mandate"]
        return None
