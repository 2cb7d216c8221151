# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, models
from odoo.tools import SQL

# Filters of the KPI: field of the MRR log they restrict.
KPI_FILTERS = {
    "company_ids": "company_id",
    "plan_ids": "plan_id",
    "template_ids": "template_id",
    "user_ids": "user_id",
    "country_ids": "country_id",
}


class RecurringKpiEvents(models.AbstractModel):
    """The SQL building blocks of the subscription KPIs: the MRR log's
    movements, converted into the currency of the user's current company at
    the rate of each movement's day and classified per customer, which
    ``recurring.kpi.query`` reads its figures from."""

    _name = "recurring.kpi.events"
    _description = "Subscription KPI Movements"

    # ------------------------------------------------------------
    # SQL BUILDING BLOCKS
    # ------------------------------------------------------------

    @api.model
    def _kpi_rate_sql(self, currency, day):
        """Rate of ``currency`` on ``day`` (two SQL expressions), read as
        ``res.currency._get_rates`` reads it for the current company."""
        return SQL(
            """COALESCE((
                SELECT r.rate FROM res_currency_rate r
                 WHERE r.currency_id = %(currency)s AND r.name <= %(day)s
                   AND (r.company_id IS NULL OR r.company_id = %(root)s)
              ORDER BY r.company_id, r.name DESC
                 LIMIT 1), 1.0)""",
            currency=currency,
            day=day,
            root=self.env.company.root_id.id,
        )

    @api.model
    def _kpi_convert_sql(self, amount, day):
        """``amount`` of the movement ``e`` (in its company's currency)
        converted into the current company's currency at ``day``'s rate."""
        target = self.env.company.currency_id
        return SQL(
            "ROUND(%(amount)s * %(target)s / %(source)s, %(digits)s)",
            amount=amount,
            target=self._kpi_rate_sql(target.id, day),
            source=self._kpi_rate_sql(SQL("e.company_currency_id"), day),
            digits=target.decimal_places,
        )

    @api.model
    def _kpi_events_sql(
        self, filters=None, date_to=None, customers=True, date_from=None
    ):
        """The MRR log as a query: one row per movement of the companies the
        user works in, restricted by ``filters`` (see ``KPI_FILTERS``), from
        ``date_from`` and up to ``date_to``, with, consolidated:

        - ``delta``: the change of MRR (``movement`` + ``fx``);
        - ``movement``: the change valued at the rate of the movement's day;
        - ``fx``: the exchange-rate effect, the rest;
        - ``movement_type``: the movement of the customer (commercial
          partner), by the MRR of all its subscriptions before and after:
          new (its first), reactivation (back after paying nothing),
          churn (pays nothing more), else expansion or contraction, a
          second subscription being an expansion;
        - ``step``: the change of the count of paying subscriptions (by
          ``event_type``, the movement of the subscription itself).

        Without ``customers``, the rows have no ``movement_type`` (nor
        ``fx``): the query does not sort the log by customer. With
        ``date_from``, the customers' MRR before it is added up for the
        customers who move from it only.
        """
        conditions = self._kpi_get_event_conditions(filters)
        if date_to:
            conditions.append(SQL("e.date <= %s", date_to))
        if date_from:
            conditions.append(SQL("e.date >= %s", date_from))
        events = self._kpi_base_events_sql(conditions)
        if not customers:
            return events
        target = self.env.company.currency_id
        opening = SQL("SELECT NULL::int AS partner_id, 0 AS mrr WHERE FALSE")
        if date_from:
            # The MRR before the period of the customers moving in it, each
            # one read by the index on the customer.
            opening = SQL(
                """
                SELECT moving.partner_id, o.mrr
                  FROM (SELECT DISTINCT m.partner_id FROM (%(events)s) m) moving
            CROSS JOIN LATERAL (
                    SELECT SUM(b.delta) AS mrr, COUNT(*) AS n FROM (%(before)s) b
                ) o
                 WHERE o.n > 0
                """,
                events=events,
                before=self._kpi_base_events_sql(
                    [
                        *self._kpi_get_event_conditions(filters),
                        SQL("e.partner_id = moving.partner_id"),
                        SQL("e.date < %s", date_from),
                    ]
                ),
            )
        return SQL(
            """
            SELECT ev.*, ev.delta - ev.movement AS fx,
                   CASE WHEN ev.customer_before <= %(zero)s
                        THEN CASE WHEN ev.customer_seen THEN 'reactivation'
                                  ELSE 'new' END
                        WHEN ev.customer_before + ev.delta <= %(zero)s THEN 'churn'
                        WHEN ev.movement >= 0 THEN 'expansion'
                        ELSE 'contraction' END AS movement_type
              FROM (
                SELECT ev.*,
                       COALESCE(o.mrr, 0) + SUM(ev.delta) OVER customer - ev.delta
                           AS customer_before,
                       o.partner_id IS NOT NULL OR ROW_NUMBER() OVER customer > 1
                           AS customer_seen
                  FROM (%(events)s) ev
             LEFT JOIN (%(opening)s) o ON o.partner_id = ev.partner_id
                WINDOW customer AS (
                    PARTITION BY ev.partner_id ORDER BY ev.date, ev.id)
              ) ev
            """,
            zero=target.rounding / 2,
            events=events,
            opening=opening,
        )

    @api.model
    def _kpi_get_event_conditions(self, filters=None):
        """The conditions on the MRR log ``e`` of the companies the user
        works in and of ``filters``."""
        filters = filters or {}
        company_ids = self.env.companies.ids
        if filters.get("company_ids"):
            company_ids = list(set(company_ids) & set(filters["company_ids"]))
        conditions = [SQL("e.company_id IN %s", tuple(company_ids or [0]))]
        for key, column in KPI_FILTERS.items():
            if key != "company_ids" and filters.get(key):
                conditions.append(
                    SQL("e.%s IN %s", SQL.identifier(column), tuple(filters[key]))
                )
        return conditions

    @api.model
    def _kpi_base_events_sql(self, conditions):
        """The movements of the MRR log ``e`` meeting ``conditions``, with
        their ``delta``, ``movement`` and ``step`` (see
        :meth:`_kpi_events_sql`)."""
        target = self.env.company.currency_id
        return SQL(
            """
            SELECT e.id, e.date, date_trunc('month', e.date)::date AS month,
                   e.subscription_id, e.company_id,
                   COALESCE(e.partner_id, -e.subscription_id) AS partner_id,
                   e.country_id, e.plan_id, e.template_id, e.user_id,
                   e.event_type, e.reason,
                   CASE WHEN e.company_currency_id = %(target)s
                        THEN e.mrr_delta_company + COALESCE(e.mrr_fx_company, 0)
                        ELSE %(after)s - COALESCE(%(before)s, 0) END AS delta,
                   CASE WHEN e.company_currency_id = %(target)s
                        THEN e.mrr_delta_company
                        ELSE %(change)s END AS movement,
                   CASE e.event_type WHEN 'new' THEN 1 WHEN 'reactivation' THEN 1
                        WHEN 'churn' THEN -1 ELSE 0 END AS step
              FROM recurring_mrr_event e
             WHERE %(where)s
            """,
            target=target.id,
            after=self._kpi_convert_sql(SQL("e.mrr_after_company"), SQL("e.date")),
            before=self._kpi_convert_sql(
                SQL("e.mrr_before_company"), SQL("e.previous_date")
            ),
            change=self._kpi_convert_sql(SQL("e.mrr_delta_company"), SQL("e.date")),
            where=SQL(" AND ").join(conditions),
        )
