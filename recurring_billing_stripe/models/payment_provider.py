# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging

from odoo import api, fields, models

from odoo.addons.payment_stripe import utils as stripe_utils
from odoo.addons.recurring_billing.tools.payment_failure import ChargeOutcomeUnknown

from .. import const

_logger = logging.getLogger(__name__)


class PaymentProvider(models.Model):
    _inherit = "payment.provider"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    recurring_stripe_event_count = fields.Integer(
        string="Stripe Events",
        compute="_compute_recurring_stripe_event_count",
        groups="base.group_system,account.group_account_invoice",
    )

    recurring_stripe_webhook_url = fields.Char(
        string="Subscriptions Webhook URL",
        compute="_compute_recurring_stripe_webhook_url",
        help="The endpoint to declare in Stripe for this provider: it receives "
        "the payment events of Odoo and those of subscriptions (card updates, "
        "disputes, SEPA mandates).",
    )
    recurring_stripe_config_error = fields.Char(
        string="Subscription Payments Configuration Error",
        compute="_compute_recurring_stripe_config_error",
    )

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    def _compute_recurring_stripe_webhook_url(self):
        for provider in self:
            provider.recurring_stripe_webhook_url = (
                provider.get_base_url() + const.WEBHOOK_URL % provider.id
                if provider.code == "stripe" and provider.id
                else False
            )

    @api.depends("code", "state", "stripe_webhook_secret")
    def _compute_recurring_stripe_config_error(self):
        for provider in self:
            provider.recurring_stripe_config_error = (
                provider._recurring_stripe_get_config_error()
            )

    def _compute_recurring_stripe_event_count(self):
        counts = dict(
            self.env["recurring.stripe.event"]._read_group(
                [("provider_id", "in", self.ids)],
                groupby=["provider_id"],
                aggregates=["__count"],
            )
        )
        for provider in self:
            provider.recurring_stripe_event_count = counts.get(provider._origin, 0)

    # ------------------------------------------------------------
    # ACTION METHODS
    # ------------------------------------------------------------

    def action_view_recurring_stripe_events(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "recurring_billing_stripe.recurring_stripe_event_action"
        )
        action["domain"] = [("provider_id", "=", self.id)]
        action["context"] = {"default_provider_id": self.id}
        return action

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _recurring_is_used_for_subscriptions(self):
        """Whether saved payment methods of this provider pay subscriptions."""
        self.ensure_one()
        return bool(
            self.env["sale.order"]
            .sudo()
            .search_count([("payment_token_id.provider_id", "=", self.id)], limit=1)
        )

    def _recurring_stripe_get_config_error(self):
        """What keeps this Stripe provider from paying subscriptions safely,
        or ``False``. Without a webhook signing secret, anyone could post
        events; this module refuses them, so nothing would be updated."""
        self.ensure_one()
        if self.code != "stripe" or self.state == "disabled":
            return False
        if not stripe_utils.get_webhook_secret(self.sudo()):
            return self.env._(
                "No webhook signing secret: Stripe's events (payments, card "
                "updates, SEPA mandates, disputes) are refused. Create the "
                "webhook endpoint in Stripe and copy its signing secret here."
            )
        return False

    def _stripe_make_request(
        self, endpoint, payload=None, method="POST", offline=False, idempotency_key=None
    ):
        """Override of `payment_stripe` to keep the error objects of Stripe's
        answers (``code``, ``decline_code``, ``advice_code``) for whoever asked
        through the context (see `const.ERRORS_CONTEXT_KEY`).

        An offline charge that Stripe answers with a server error, a rate
        limit or a concurrent request of the same idempotency key may or may
        not have been carried out: `ChargeOutcomeUnknown` is raised instead of
        the error being taken as a decline.

        :raise ChargeOutcomeUnknown: see above
        """
        response = super()._stripe_make_request(
            endpoint,
            payload=payload,
            method=method,
            offline=offline,
            idempotency_key=idempotency_key,
        )
        error = response.get("error") if isinstance(response, dict) else None
        if (
            offline
            and method == "POST"
            and isinstance(error, dict)
            and (
                error.get("type") in const.UNKNOWN_OUTCOME_ERROR_TYPES
                or error.get("code") in const.UNKNOWN_OUTCOME_ERROR_CODES
            )
        ):
            raise ChargeOutcomeUnknown(
                f"Stripe {error.get('type')} {error.get('code') or ''}".strip()
            )
        errors = self.env.context.get(const.ERRORS_CONTEXT_KEY)
        if (
            isinstance(errors, list)
            and isinstance(response, dict)
            and isinstance(response.get("error"), dict)
        ):
            errors.append(response["error"])
        return response
