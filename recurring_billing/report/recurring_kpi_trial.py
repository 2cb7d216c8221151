# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models
from odoo.tools import SQL


class RecurringKpiTrial(models.Model):
    """Trials by the month they started: how many ended, and how many of
    those became paid subscriptions."""

    _name = "recurring.kpi.trial"
    _description = "Subscription Trial Conversion"
    _auto = False
    _order = "date desc, id desc"
    _rec_name = "subscription_id"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    date = fields.Date(
        string="Trial Start", readonly=True, help="Month in which the trial started."
    )
    trial_end_date = fields.Date(readonly=True)
    subscription_id = fields.Many2one("sale.order", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    plan_id = fields.Many2one("recurring.plan", string="Plan", readonly=True)
    template_id = fields.Many2one(
        "sale.order.template", string="Subscription Template", readonly=True
    )
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    country_id = fields.Many2one(
        "res.country", string="Customer Country", readonly=True
    )
    trials = fields.Integer(string="Trials Started", readonly=True)
    trials_ended = fields.Integer(
        readonly=True,
        help="Trials that became paid, were closed, or whose end date is past.",
    )
    trials_converted = fields.Integer(
        readonly=True, help="Trials that became paid subscriptions."
    )
    conversion_rate = fields.Float(
        string="Conversion (%)",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="Trials converted divided by trials ended, in percent: the "
        "average over trials ended is the conversion of a group.",
    )

    # ------------------------------------------------------------
    # QUERY
    # ------------------------------------------------------------

    @property
    def _table_query(self):
        return SQL(
            """
            SELECT t.*,
                   CASE WHEN t.trials_ended = 1
                        THEN 100.0 * t.trials_converted END AS conversion_rate
              FROM (
                SELECT so.id, so.id AS subscription_id,
                       date_trunc('month', so.subscription_start_date)::date AS date,
                       so.trial_end_date, so.company_id,
                       partner.commercial_partner_id AS partner_id,
                       commercial.country_id, so.recurring_plan_id AS plan_id,
                       so.sale_order_template_id AS template_id, so.user_id,
                       1 AS trials,
                       CASE WHEN paid.id IS NOT NULL
                              OR so.subscription_state = 'closed'
                              OR so.trial_end_date <= %(today)s
                            THEN 1 ELSE 0 END AS trials_ended,
                       CASE WHEN paid.id IS NOT NULL THEN 1 ELSE 0 END
                           AS trials_converted
                  FROM sale_order so
                  JOIN res_partner partner ON partner.id = so.partner_id
                  JOIN res_partner commercial
                       ON commercial.id = partner.commercial_partner_id
             LEFT JOIN LATERAL (
                       SELECT e.id FROM recurring_mrr_event e
                        WHERE e.subscription_id = so.id AND e.event_type = 'new'
                        LIMIT 1) paid ON TRUE
                 WHERE so.is_subscription
                   AND so.trial_end_date IS NOT NULL
                   AND so.subscription_start_date IS NOT NULL
                   AND so.state IN ('sale', 'cancel')
                   AND so.subscription_state NOT IN ('draft')
                   AND so.company_id IN %(companies)s
              ) t
            """,
            today=self.env.company._get_today(),
            companies=tuple(self.env.companies.ids),
        )
