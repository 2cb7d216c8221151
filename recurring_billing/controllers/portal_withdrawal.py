# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import http

from .portal import SubscriptionPortal


class SubscriptionWithdrawalPortal(SubscriptionPortal):
    """The consumer's 14-day withdrawal from a subscription taken online
    (Code de la consommation, L221-18), from the subscription's page."""

    @http.route(
        ["/my/subscriptions/<int:order_id>/withdraw"],
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def portal_subscription_withdraw(self, order_id, access_token=None, **kw):
        return self._run_action(
            order_id,
            access_token,
            lambda order, partner: order._portal_withdraw(partner),
            "withdrawn",
        )
