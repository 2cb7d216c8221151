# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.tools import SQL

# A dimension absent (no salesperson...) is 0 in the grid, NULL in the report.
DIMENSIONS = ("company_id", "plan_id", "template_id", "user_id", "country_id")


def dimensions_sql(pattern, separator=", "):
    """``pattern`` written for each dimension, every ``%s`` being the
    dimension's column, joined by ``separator``: ``"grid.%s"`` gives
    ``grid.company_id, grid.plan_id, ...``."""
    return SQL(separator).join(
        SQL(pattern, *[SQL.identifier(d)] * pattern.count("%s")) for d in DIMENSIONS
    )


class RecurringKpiMonthly(models.Model):
    """MRR of each month and its movements, by company, plan, template,
    salesperson and customer country, from the MRR log."""

    _name = "recurring.kpi.monthly"
    _description = "Subscription MRR by Month"
    _auto = False
    _order = "date desc"
    _rec_name = "date"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    date = fields.Date(string="Month", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    plan_id = fields.Many2one("recurring.plan", string="Plan", readonly=True)
    template_id = fields.Many2one(
        "sale.order.template", string="Subscription Template", readonly=True
    )
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    country_id = fields.Many2one(
        "res.country", string="Customer Country", readonly=True
    )
    currency_id = fields.Many2one("res.currency", compute="_compute_currency_id")
    mrr_start = fields.Monetary(
        string="MRR at Start",
        readonly=True,
        help="MRR on the eve of the month's first day (a stock: add it up "
        "over dimensions, not over months).",
    )
    new_mrr = fields.Monetary(
        string="New MRR",
        readonly=True,
        help="MRR of customers who started paying for the first time.",
    )
    expansion_mrr = fields.Monetary(
        string="Expansion MRR",
        readonly=True,
        help="MRR added by paying customers: upgrades, new subscriptions.",
    )
    contraction_mrr = fields.Monetary(
        string="Contraction MRR",
        readonly=True,
        help="MRR lost by customers who still pay: downgrades, subscriptions "
        "stopped (positive).",
    )
    churn_mrr = fields.Monetary(
        string="Churned MRR",
        readonly=True,
        help="MRR lost by customers who stopped paying: their last "
        "subscriptions closed, paused or suspended (positive).",
    )
    reactivation_mrr = fields.Monetary(
        string="Reactivation MRR",
        readonly=True,
        help="MRR of customers who paid before, stopped, and pay again.",
    )
    fx_mrr = fields.Monetary(
        string="Exchange-Rate Effect",
        readonly=True,
        help="Change of MRR due to exchange rates: a subscription in another "
        "currency is revalued at the rate of the day of each of its "
        "movements.",
    )
    net_new_mrr = fields.Monetary(
        string="Net New MRR",
        readonly=True,
        help="New + expansion + reactivation - contraction - churn + "
        "exchange-rate effect: MRR at the end - MRR at the start.",
    )
    mrr = fields.Monetary(
        string="MRR",
        readonly=True,
        help="Monthly recurring revenue at the end of the month: for running "
        "subscriptions (not in trial, paused or closed), the untaxed amount "
        "of their recurring lines after discounts for one month, metered "
        "usage excluded, in the current company's currency at the rate of "
        "the day each one was set.",
    )
    arr = fields.Monetary(
        string="ARR", readonly=True, help="Annual recurring revenue: 12 x MRR."
    )
    subscriptions_start = fields.Integer(
        string="Paying Subscriptions at Start", readonly=True
    )
    subscriptions_new = fields.Integer(
        string="Subscriptions Started or Back",
        readonly=True,
        help="Subscriptions that started paying or paid again in the month.",
    )
    subscriptions_churned = fields.Integer(
        string="Subscriptions Lost",
        readonly=True,
        help="Subscriptions that stopped paying in the month.",
    )
    subscriptions = fields.Integer(
        string="Paying Subscriptions",
        readonly=True,
        help="Subscriptions with an MRR at the end of the month.",
    )

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    @api.depends_context("company")
    def _compute_currency_id(self):
        self.currency_id = self.env.company.currency_id

    # ------------------------------------------------------------
    # QUERY
    # ------------------------------------------------------------

    @property
    def _table_query(self):
        return SQL(
            """
            WITH ev AS (%(events)s),
            moves AS (
                SELECT ev.month, %(keys)s,
                       SUM(ev.delta) AS net, SUM(ev.step) AS step,
                       COALESCE(SUM(ev.movement) FILTER (
                           WHERE ev.movement_type = 'new'), 0) AS new,
                       COALESCE(SUM(ev.movement) FILTER (
                           WHERE ev.movement_type = 'expansion'), 0) AS expansion,
                       COALESCE(-SUM(ev.movement) FILTER (
                           WHERE ev.movement_type = 'contraction'), 0)
                           AS contraction,
                       COALESCE(-SUM(ev.movement) FILTER (
                           WHERE ev.movement_type = 'churn'), 0) AS churn,
                       COALESCE(SUM(ev.movement) FILTER (
                           WHERE ev.movement_type = 'reactivation'), 0)
                           AS reactivation,
                       SUM(ev.fx) AS fx,
                       COUNT(*) FILTER (WHERE ev.step > 0) AS started,
                       COUNT(*) FILTER (WHERE ev.step < 0) AS lost
                  FROM ev
              GROUP BY ev.month, %(group)s
            ),
            dims AS (
                SELECT %(group)s, MIN(month) AS first_month
                  FROM moves GROUP BY %(group)s
            ),
            grid AS (
                SELECT m::date AS month, %(grid_dims)s
                  FROM dims CROSS JOIN LATERAL generate_series(
                       dims.first_month,
                       GREATEST(date_trunc('month', %(today)s::date),
                                (SELECT MAX(month) FROM moves)),
                       interval '1 month') m
            ),
            running AS (
                SELECT grid.*,
                       COALESCE(moves.net, 0) AS net,
                       COALESCE(moves.new, 0) AS new,
                       COALESCE(moves.expansion, 0) AS expansion,
                       COALESCE(moves.contraction, 0) AS contraction,
                       COALESCE(moves.churn, 0) AS churn,
                       COALESCE(moves.reactivation, 0) AS reactivation,
                       COALESCE(moves.fx, 0) AS fx,
                       COALESCE(moves.started, 0) AS started,
                       COALESCE(moves.lost, 0) AS lost,
                       SUM(COALESCE(moves.net, 0)) OVER w AS mrr,
                       SUM(COALESCE(moves.step, 0)) OVER w AS subscriptions
                  FROM grid
             LEFT JOIN moves ON moves.month = grid.month AND %(joined)s
                WINDOW w AS (PARTITION BY %(grid_group)s ORDER BY grid.month)
            )
            SELECT row_number() OVER (ORDER BY grid.month, %(grid_group)s) AS id,
                   grid.month AS date, %(report_dims)s,
                   grid.mrr - grid.net AS mrr_start,
                   grid.new AS new_mrr,
                   grid.expansion AS expansion_mrr,
                   grid.contraction AS contraction_mrr,
                   grid.churn AS churn_mrr,
                   grid.reactivation AS reactivation_mrr,
                   grid.fx AS fx_mrr,
                   grid.net AS net_new_mrr,
                   grid.mrr AS mrr,
                   12 * grid.mrr AS arr,
                   (grid.subscriptions - grid.started + grid.lost)::int
                       AS subscriptions_start,
                   grid.started::int AS subscriptions_new,
                   grid.lost::int AS subscriptions_churned,
                   grid.subscriptions::int AS subscriptions
              FROM running grid
             WHERE grid.net <> 0 OR grid.mrr <> 0 OR grid.started <> 0
                OR grid.lost <> 0
            """,
            events=self.env["recurring.kpi.query"]._kpi_events_sql(),
            keys=dimensions_sql("COALESCE(ev.%s, 0) AS %s"),
            group=dimensions_sql("%s"),
            grid_dims=dimensions_sql("dims.%s"),
            joined=dimensions_sql("moves.%s = grid.%s", " AND "),
            grid_group=dimensions_sql("grid.%s"),
            report_dims=dimensions_sql("NULLIF(grid.%s, 0) AS %s"),
            today=self.env.company._get_today(),
        )
