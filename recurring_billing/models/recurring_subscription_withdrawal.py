# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date


class RecurringSubscriptionWithdrawal(models.AbstractModel):
    """A consumer's subscription taken online: the terms they accepted and
    their 14-day right of withdrawal (Code de la consommation, L221-18),
    exercised from the customer portal. Mixed into ``sale.order`` only."""

    _name = "recurring.subscription.withdrawal"
    _description = "Subscription Withdrawal Right"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    recurring_signup_id = fields.Many2one(
        "recurring.signup",
        string="Online Signup",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
    )
    withdrawal_deadline = fields.Date(
        readonly=True,
        copy=False,
        help="A consumer who subscribed online may withdraw until this day "
        "(14 days after the contract, Code de la consommation L221-18). The "
        "service they asked to start at once is billed up to the withdrawal, "
        "the rest is credited.",
    )
    withdrawal_date = fields.Date(readonly=True, copy=False, tracking=True)
    can_withdraw = fields.Boolean(compute="_compute_can_withdraw")

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    @api.depends("withdrawal_deadline", "subscription_state", "withdrawal_date")
    def _compute_can_withdraw(self):
        for order in self:
            order.can_withdraw = bool(
                order.withdrawal_deadline
                and not order.withdrawal_date
                and order.subscription_state in order._get_running_states()
                and order.company_id._get_today() <= order.withdrawal_deadline
            )

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _portal_withdraw(self, partner):
        """The consumer withdraws within 14 days: the subscription ends
        today, the days paid and not served are credited (L221-25: what was
        served at the consumer's express request stays due), and the
        withdrawal is confirmed by email."""
        self.ensure_one()
        if not self.can_withdraw:
            raise UserError(
                self.env._(
                    "The withdrawal period of subscription %(order)s is over.",
                    order=self.name,
                )
            )
        order = self._portal_as_company()
        today = order.company_id._get_today()
        order._subscription_credit_unused(today, force=True)
        order._subscription_close(today)
        order.withdrawal_date = today
        order._send_subscription_mail("close")
        order._portal_log(
            self.env._(
                "The customer withdrew on %(date)s (14-day withdrawal right).",
                date=format_date(self.env, today),
            ),
            partner,
        )
