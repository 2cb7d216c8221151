# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models

EVENT_TYPES = [
    ("new", "New"),
    ("expansion", "Expansion"),
    ("contraction", "Contraction"),
    ("churn", "Churn"),
    ("reactivation", "Reactivation"),
]

EVENT_REASONS = [
    ("start", "Start"),
    ("trial_end", "End of Trial"),
    ("change", "Change"),
    ("pause", "Pause"),
    ("resume", "Resume"),
    ("suspend", "Suspension"),
    ("close", "Close"),
    ("reopen", "Reopen"),
    ("backfill", "Backfill"),
]


class RecurringMrrEvent(models.Model):
    """One change of a subscription's monthly recurring revenue, written when
    it happens (confirmation, change, pause, resume, suspension, close,
    reopen) and never recomputed from the subscription's state of today.

    Its amounts in the company's currency add up: ``mrr_before_company +
    mrr_delta_company + mrr_fx_company = mrr_after_company``, the change
    valued at the rate of its day and the revaluation of the MRR before
    kept apart as the exchange-rate effect."""

    _name = "recurring.mrr.event"
    _description = "MRR Movement"
    _order = "date desc, id desc"
    _rec_name = "subscription_id"
    _check_company_auto = True

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    date = fields.Date(required=True, index=True, readonly=True)
    subscription_id = fields.Many2one(
        "sale.order",
        string="Subscription",
        required=True,
        readonly=True,
        ondelete="cascade",
        index=True,
        check_company=True,
    )
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True
    )
    partner_id = fields.Many2one(
        "res.partner", string="Customer", readonly=True, index=True
    )
    country_id = fields.Many2one(
        "res.country", string="Customer Country", readonly=True
    )
    plan_id = fields.Many2one("recurring.plan", string="Plan", readonly=True)
    template_id = fields.Many2one(
        "sale.order.template", string="Subscription Template", readonly=True
    )
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    event_type = fields.Selection(
        EVENT_TYPES, string="Movement", required=True, readonly=True, index=True
    )
    reason = fields.Selection(EVENT_REASONS, readonly=True)
    currency_id = fields.Many2one(
        "res.currency",
        string="Subscription Currency",
        required=True,
        readonly=True,
    )
    company_currency_id = fields.Many2one(
        "res.currency", string="Company Currency", required=True, readonly=True
    )
    previous_date = fields.Date(
        readonly=True,
        help="Date of the previous movement of the subscription: its MRR "
        "before this movement was converted at that day's rate.",
    )
    mrr_before = fields.Monetary(
        string="MRR Before (Subscription Currency)", readonly=True
    )
    mrr_after = fields.Monetary(
        string="MRR After (Subscription Currency)", readonly=True
    )
    mrr_delta = fields.Monetary(
        string="MRR Change (Subscription Currency)", readonly=True
    )
    mrr_before_company = fields.Monetary(
        string="MRR Before",
        currency_field="company_currency_id",
        readonly=True,
        help="MRR of the subscription before the movement, in the company's "
        "currency at the rate of the day of the previous movement.",
    )
    mrr_after_company = fields.Monetary(
        string="MRR After",
        currency_field="company_currency_id",
        readonly=True,
        help="MRR of the subscription after the movement, in the company's "
        "currency at the rate of the day of the movement.",
    )
    mrr_delta_company = fields.Monetary(
        string="MRR Change",
        currency_field="company_currency_id",
        readonly=True,
        help="The change of MRR in the subscription's currency, in the "
        "company's currency at the rate of the day of the movement: new, "
        "expansion and reactivation are positive, contraction and churn "
        "negative.",
    )
    mrr_fx_company = fields.Monetary(
        string="Exchange-Rate Effect",
        currency_field="company_currency_id",
        readonly=True,
        help="The MRR before, revalued at the rate of the day of the "
        "movement, minus the MRR before at the rate of its own day: MRR "
        "before + MRR change + exchange-rate effect = MRR after.",
    )

    _sql_constraints = [
        (
            "mrr_positive",
            "CHECK(mrr_before >= 0 AND mrr_after >= 0)",
            "A monthly recurring revenue cannot be negative.",
        ),
        (
            "mrr_changed",
            "CHECK(mrr_before <> mrr_after)",
            "An MRR movement must change the MRR.",
        ),
    ]

    # ------------------------------------------------------------
    # CRUD METHODS
    # ------------------------------------------------------------

    def init(self):
        # The reports add up the movements of each subscription in order;
        # a subscription starts paying once: later starts are reactivations.
        self.env.cr.execute(
            """
            CREATE INDEX IF NOT EXISTS recurring_mrr_event_subscription_date_idx
                ON recurring_mrr_event (subscription_id, date, id);
            CREATE UNIQUE INDEX IF NOT EXISTS recurring_mrr_event_new_uniq
                ON recurring_mrr_event (subscription_id) WHERE event_type = 'new';
            """
        )

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    @api.model
    def _get_event_type(self, before, after, reactivated):
        """The movement from ``before`` to ``after`` (two MRR, never equal)."""
        if not before:
            return "reactivation" if reactivated else "new"
        if not after:
            return "churn"
        return "expansion" if after > before else "contraction"

    @api.model
    def _backfill(self):
        """Log the MRR of subscriptions that have no movement yet (those that
        existed before the log): the start of their paid service, and the
        pause or close that stopped it. Run at install and at each update;
        subscriptions already logged are left alone.

        :return: how many subscriptions were logged"""
        self.env.cr.execute(
            """
            SELECT so.id FROM sale_order so
             WHERE so.is_subscription
               AND so.state = 'sale'
               AND so.subscription_state IN ('active', 'to_close', 'paused', 'closed')
               AND NOT EXISTS (
                   SELECT 1 FROM recurring_mrr_event e
                    WHERE e.subscription_id = so.id)
             ORDER BY so.id
            """
        )
        order_ids = [row[0] for row in self.env.cr.fetchall()]
        orders = self.env["sale.order"].browse(order_ids)
        invoiced = {
            subscription.id
            for (subscription,) in self.env["account.move"]
            .sudo()
            ._read_group(
                [
                    ("subscription_id", "in", order_ids),
                    ("move_type", "=", "out_invoice"),
                    ("state", "=", "posted"),
                    ("subscription_period_start", "!=", False),
                ],
                ["subscription_id"],
            )
        }
        logged = orders.browse()
        for order in orders:
            if order._kpi_backfill_events(order.id in invoiced):
                logged |= order
        return len(logged)
