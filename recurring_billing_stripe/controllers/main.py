# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import json
import logging

import stripe
from werkzeug.exceptions import Forbidden, NotFound

from odoo import http
from odoo.http import request

from odoo.addons.payment_stripe import utils as stripe_utils
from odoo.addons.payment_stripe.const import HANDLED_WEBHOOK_EVENTS
from odoo.addons.payment_stripe.controllers.main import StripeController

from .. import const

_logger = logging.getLogger(__name__)


class RecurringStripeController(StripeController):
    @http.route(
        const.WEBHOOK_ROUTE,
        type="http",
        methods=["POST"],
        auth="public",
        csrf=False,
    )
    def recurring_stripe_webhook(self, provider_id):
        """Receive the events of one Stripe provider: only signed ones.

        The signature is checked with the provider's webhook secret by the
        `stripe` library (``stripe.Webhook.construct_event``: HMAC-SHA256,
        timestamp within Odoo's tolerance). Each event is recorded once;
        a replayed one is acknowledged and not processed again. Odoo's own
        events are passed on to `payment_stripe`, ours to the event log.

        :return: an empty JSON answer, 403 for an event not signed right
        """
        provider_sudo = request.env["payment.provider"].sudo().browse(provider_id)
        if not provider_sudo.exists() or provider_sudo.code != "stripe":
            raise NotFound()
        secret = stripe_utils.get_webhook_secret(provider_sudo)
        if not secret:
            _logger.warning(
                "Stripe event refused: provider %s has no webhook secret", provider_id
            )
            raise Forbidden()
        payload = request.httprequest.get_data(as_text=True)
        try:
            stripe.Webhook.construct_event(
                payload,
                request.httprequest.headers.get("Stripe-Signature", ""),
                secret,
                tolerance=self.WEBHOOK_AGE_TOLERANCE,
            )
        except (ValueError, stripe.SignatureVerificationError) as error:
            _logger.warning("Stripe event refused: %s", error)
            raise Forbidden() from None
        event = json.loads(payload)
        event_sudo = request.env["recurring.stripe.event"]._record_event(
            provider_sudo, event
        )
        if event_sudo.state in ("processed", "ignored"):
            return request.make_json_response({"status": "already received"})
        if event.get("type") in HANDLED_WEBHOOK_EVENTS:
            if not event_sudo._find_event_transaction(event):
                # Not processed: Stripe delivers it again (any answer but
                # 2xx), and the charge check matches it meanwhile.
                _logger.info(
                    "Stripe event %s matches no transaction yet", event.get("id")
                )
                event_sudo.write({"state": "unmatched"})
                return request.make_json_response({"status": "unmatched"}, status=404)
            self.stripe_webhook()  # payment_stripe's own processing.
            event_sudo.write({"state": "processed", "error_message": False})
            # Pay and reconcile the invoices of a settled payment now.
            request.env.ref("payment.cron_post_process_payment_tx").sudo()._trigger()
        else:
            event_sudo._process(event)
        return request.make_json_response({"status": event_sudo.state})

    def _verify_notification_signature(self, tx_sudo):
        """Override of `payment_stripe`: its webhook accepts unsigned events
        when no secret is set; refuse them for a provider that pays
        subscriptions."""
        provider = tx_sudo.provider_id
        if (
            provider.code == "stripe"
            and not stripe_utils.get_webhook_secret(provider)
            and provider._recurring_is_used_for_subscriptions()
        ):
            _logger.warning(
                "Unsigned Stripe event refused: provider %s pays subscriptions",
                provider.id,
            )
            raise Forbidden()
        return super()._verify_notification_signature(tx_sudo)
