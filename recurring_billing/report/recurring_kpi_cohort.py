# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.tools import SQL

from .recurring_kpi_monthly import dimensions_sql


class RecurringKpiCohort(models.Model):
    """Retention by cohort: the subscriptions that started paying in a month
    (their cohort), and how many of them, and how much of their MRR, still
    pay each month after."""

    _name = "recurring.kpi.cohort"
    _description = "Subscription Retention by Cohort"
    _auto = False
    _order = "cohort_date desc, months_since_start"
    _rec_name = "cohort_date"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    cohort_date = fields.Date(
        string="Cohort",
        readonly=True,
        help="Month in which the subscriptions started paying (their first "
        "'new' movement).",
    )
    date = fields.Date(string="Month", readonly=True)
    months_since_start = fields.Integer(
        readonly=True,
        aggregator=None,
        help="0 is the cohort's own month, 1 the month after...",
    )
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
    cohort_subscriptions = fields.Integer(
        string="Cohort Size",
        readonly=True,
        aggregator="max",
        help="Subscriptions of the cohort (with the dimensions of the line).",
    )
    cohort_mrr = fields.Monetary(
        string="Cohort Starting MRR",
        readonly=True,
        aggregator="max",
        help="MRR the cohort's subscriptions started with.",
    )
    active_subscriptions = fields.Integer(
        string="Still Paying",
        readonly=True,
        help="Subscriptions of the cohort paying at the end of the month.",
    )
    active_mrr = fields.Monetary(
        string="MRR Still Paid",
        readonly=True,
        help="MRR of the cohort at the end of the month.",
    )
    customer_retention = fields.Float(
        string="Customer Retention (%)",
        readonly=True,
        digits=(16, 1),
        help="Share of the cohort's subscriptions still paying at the end of "
        "the month, in percent. Lines add up to the cohort's retention: "
        "grouped by cohort and month only, it is the retention of the whole "
        "cohort; filtered, the share of the cohort that the filter keeps.",
    )
    mrr_retention = fields.Float(
        string="MRR Retention (%)",
        readonly=True,
        digits=(16, 1),
        help="MRR of the cohort at the end of the month divided by the MRR it "
        "started with, in percent (above 100 when upgrades outweigh churn). "
        "Lines add up as the customer retention does.",
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
            cohort AS (
                -- A subscription has one 'new' movement at most (unique index).
                SELECT ev.subscription_id, ev.month AS cohort, ev.delta AS start_mrr,
                       %(first_dims)s
                  FROM ev WHERE ev.event_type = 'new'
            ),
            size AS (
                SELECT cohort.cohort, %(cohort_dims)s,
                       COUNT(*) AS subscriptions, SUM(start_mrr) AS mrr
                  FROM cohort GROUP BY cohort.cohort, %(cohort_dims)s
            ),
            total AS (
                SELECT size.cohort, SUM(size.subscriptions) AS subscriptions,
                       SUM(size.mrr) AS mrr
                  FROM size GROUP BY size.cohort
            ),
            moves AS (
                SELECT cohort.cohort, ev.month, %(cohort_dims)s,
                       SUM(ev.delta) AS net, SUM(ev.step) AS step
                  FROM ev JOIN cohort USING (subscription_id)
              GROUP BY cohort.cohort, ev.month, %(cohort_dims)s
            ),
            grid AS (
                SELECT size.*, m::date AS month
                  FROM size CROSS JOIN LATERAL generate_series(
                       size.cohort,
                       GREATEST(date_trunc('month', %(today)s::date),
                                (SELECT MAX(month) FROM moves)),
                       interval '1 month') m
            ),
            running AS (
                SELECT grid.*,
                       SUM(COALESCE(moves.net, 0)) OVER w AS active_mrr,
                       SUM(COALESCE(moves.step, 0)) OVER w AS active
                  FROM grid
             LEFT JOIN moves ON moves.cohort = grid.cohort
                       AND moves.month = grid.month AND %(joined)s
                WINDOW w AS (PARTITION BY grid.cohort, %(grid_dims)s
                             ORDER BY grid.month)
            )
            SELECT row_number() OVER (ORDER BY r.cohort, r.month, %(r_dims)s) AS id,
                   r.cohort AS cohort_date, r.month AS date,
                   ((EXTRACT(YEAR FROM r.month) - EXTRACT(YEAR FROM r.cohort)) * 12
                    + EXTRACT(MONTH FROM r.month) - EXTRACT(MONTH FROM r.cohort)
                   )::int AS months_since_start,
                   %(report_dims)s,
                   r.subscriptions::int AS cohort_subscriptions,
                   r.mrr AS cohort_mrr,
                   r.active::int AS active_subscriptions,
                   r.active_mrr AS active_mrr,
                   100.0 * r.active / NULLIF(total.subscriptions, 0)
                       AS customer_retention,
                   100.0 * r.active_mrr / NULLIF(total.mrr, 0) AS mrr_retention
              FROM running r JOIN total ON total.cohort = r.cohort
            """,
            events=self.env["recurring.kpi.query"]._kpi_events_sql(customers=False),
            first_dims=dimensions_sql("COALESCE(ev.%s, 0) AS %s"),
            cohort_dims=dimensions_sql("cohort.%s"),
            grid_dims=dimensions_sql("grid.%s"),
            r_dims=dimensions_sql("r.%s"),
            joined=dimensions_sql("moves.%s = grid.%s", " AND "),
            report_dims=dimensions_sql("NULLIF(r.%s, 0) AS %s"),
            today=self.env.company._get_today(),
        )
