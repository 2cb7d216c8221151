# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta

from odoo import fields, models
from odoo.tools import consteq
from odoo.tools.misc import hmac

from .recurring_dunning_step import STEP_ACTIONS

OUTCOMES = [
    ("running", "In Progress"),
    ("done", "Done"),
    ("pending", "Payment Pending"),
    ("paid", "Paid"),
    ("failed", "Failed"),
    ("skipped", "Skipped"),
    ("error", "Error"),
]


class RecurringDunningHistory(models.Model):
    """What the dunning did with an invoice, step by step. One line per step
    and invoice, enforced by the database: a step never fires twice for an
    invoice, whatever runs it (two workers, a rerun, a retry after a crash)."""

    _name = "recurring.dunning.history"
    _description = "Dunning History"
    _order = "date desc, id desc"
    _check_company_auto = True

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    move_id = fields.Many2one(
        "account.move",
        string="Invoice",
        required=True,
        ondelete="cascade",
        index=True,
        readonly=True,
    )
    step_id = fields.Many2one(
        "recurring.dunning.step", required=True, ondelete="restrict", readonly=True
    )
    policy_id = fields.Many2one(
        related="step_id.policy_id", store=True, index=True, string="Policy"
    )
    action = fields.Selection(STEP_ACTIONS, readonly=True)
    company_id = fields.Many2one(related="move_id.company_id", store=True, index=True)
    subscription_id = fields.Many2one(
        related="move_id.subscription_id", store=True, index=True
    )
    partner_id = fields.Many2one(
        related="move_id.commercial_partner_id", string="Customer"
    )
    date = fields.Date(required=True, readonly=True)
    outcome = fields.Selection(OUTCOMES, required=True, readonly=True)
    note = fields.Text(readonly=True)
    email_sent = fields.Boolean(
        readonly=True, help="The step's email went to the customer's address."
    )
    email_missing = fields.Boolean(
        string="No Email Address",
        readonly=True,
        help="The step had an email for the customer, who has no email address: "
        "the message is in the invoice's chatter, to send by other means.",
    )
    mail_message_id = fields.Many2one(
        "mail.message", string="Email", readonly=True, ondelete="set null"
    )
    transaction_id = fields.Many2one(
        "payment.transaction", readonly=True, ondelete="set null", index=True
    )
    amount = fields.Monetary(
        string="Amount Due",
        readonly=True,
        help="What was left to pay on the invoice when the step was taken.",
    )
    currency_id = fields.Many2one(related="move_id.currency_id")

    # ------------------------------------------------------------
    # SQL CONSTRAINTS
    # ------------------------------------------------------------

    _sql_constraints = [
        (
            "move_step_uniq",
            "UNIQUE(move_id, step_id)",
            "A dunning step is taken only once for an invoice.",
        ),
    ]

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _get_pause_token(self):
        self.ensure_one()
        return hmac(self.env(su=True), "recurring-dunning-pause", self.id)

    def _check_pause_token(self, token):
        self.ensure_one()
        return bool(token) and consteq(token, self._get_pause_token())

    def _is_pause_offer_open(self):
        """Whether the pause offered by this line can still be taken: while
        the invoice is in dunning, within the days the policy gives, on a
        subscription that can be paused."""
        self.ensure_one()
        move = self.move_id
        last_day = self.date + timedelta(days=self.policy_id.pause_link_days)
        return bool(
            move.dunning_state == "running"
            and move.company_id._get_today() <= last_day
            and self.subscription_id._dunning_can_pause()
        )

    def _get_pause_url(self):
        """The one-click link of a pause offer: public, signed for this line
        of history only."""
        self.ensure_one()
        return (
            f"{self.move_id.get_base_url()}/recurring/dunning/pause/"
            f"{self.id}/{self._get_pause_token()}"
        )
