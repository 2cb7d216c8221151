# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from dateutil.relativedelta import relativedelta

from odoo import api, models
from odoo.tools import SQL

from .recurring_kpi_events import KPI_FILTERS

# Movements of customers and their sign as figures: lost MRR is positive.
MOVEMENTS = {
    "new": 1,
    "expansion": 1,
    "contraction": -1,
    "churn": -1,
    "reactivation": 1,
}


class RecurringKpiQuery(models.AbstractModel):
    """The SQL of the subscription KPIs, read by the reports and the
    dashboard: every figure is defined once, here, on the MRR log.

    Amounts are consolidated in the currency of the user's current company:
    each subscription's MRR is converted at the rate of the day of the
    movement that set it, so that the movements of a period always add up
    to the change of MRR over the period."""

    _name = "recurring.kpi.query"
    _inherit = ["recurring.kpi.events"]
    _description = "Subscription KPI Queries"

    # ------------------------------------------------------------
    # FIGURES
    # ------------------------------------------------------------

    @api.model
    def _kpi_get_mrr(self, day, filters=None):
        """MRR at the end of ``day``, consolidated."""
        self.env["recurring.mrr.event"].flush_model()
        self.env.cr.execute(
            SQL(
                "SELECT COALESCE(SUM(ev.delta), 0) FROM (%s) ev",
                self._kpi_events_sql(filters, day, customers=False),
            )
        )
        return self.env.company.currency_id.round(self.env.cr.fetchone()[0])

    @api.model
    def _kpi_get_movements(self, date_from, date_to, filters=None):
        """MRR movements of customers from ``date_from`` to ``date_to`` (both
        included): ``{new, expansion, contraction, churn, reactivation, fx,
        net_new}``. Contraction and churn are what is lost (positive when
        MRR goes down), ``fx`` the exchange-rate effect with its sign, and
        ``net_new`` the change of MRR over the period: new + expansion +
        reactivation - contraction - churn + fx (rounding residues of the
        conversions go to ``fx``)."""
        return self._kpi_get_movements_multi([(date_from, date_to)], filters)[0]

    @api.model
    def _kpi_get_movements_multi(self, periods, filters=None):
        """:meth:`_kpi_get_movements` of several ``(date_from, date_to)``
        periods, in one pass over the log."""
        self.env["recurring.mrr.event"].flush_model()
        columns = []
        for date_from, date_to in periods:
            within = SQL("ev.date BETWEEN %s AND %s", date_from, date_to)
            columns.append(
                SQL(
                    "SUM(ev.movement) FILTER (WHERE %s), SUM(ev.delta) FILTER "
                    "(WHERE %s)",
                    within,
                    within,
                )
            )
        self.env.cr.execute(
            SQL(
                """
                SELECT ev.movement_type, %s FROM (%s) ev
              GROUP BY ev.movement_type
                """,
                SQL(", ").join(columns),
                self._kpi_events_sql(
                    filters,
                    max(date_to for _date_from, date_to in periods),
                    date_from=min(date_from for date_from, _date_to in periods),
                ),
            )
        )
        rows = self.env.cr.fetchall()
        result = []
        for index in range(len(periods)):
            sums = {row[0]: row[1 + 2 * index] for row in rows}
            net = sum(row[2 + 2 * index] or 0.0 for row in rows)
            result.append(self._kpi_movement_figures(sums, net))
        return result

    @api.model
    def _kpi_movement_figures(self, sums, net):
        """The figures of movements from ``sums`` (``{movement type: signed
        sum}``) and ``net``, the change of MRR."""
        round_ = self.env.company.currency_id.round
        figures = {
            movement: round_(sign * (sums.get(movement) or 0.0))
            for movement, sign in MOVEMENTS.items()
        }
        figures["net_new"] = round_(net or 0.0)
        figures["fx"] = round_(
            figures["net_new"]
            - figures["new"]
            - figures["expansion"]
            - figures["reactivation"]
            + figures["contraction"]
            + figures["churn"]
        )
        return figures

    @api.model
    def _kpi_get_customers(self, date_from, date_to, filters=None):
        """Customers (commercial partners paying for at least one
        subscription) and their MRR at the start of the period (the eve of
        ``date_from``) and at its end: ``{mrr_start, mrr_end, customers_start,
        customers_end, customers_lost, customers_new, retained_mrr,
        retained_min}``, the last two for the customers at the start only
        (their MRR at the end, and the sum of the lesser of their MRR at the
        start and at the end, the numerator of the GRR)."""
        return self._kpi_get_customers_multi([(date_from, date_to)], filters)[0]

    @api.model
    def _kpi_get_customers_multi(self, periods, filters=None):
        """:meth:`_kpi_get_customers` of several ``(date_from, date_to)``
        periods, in one pass over the log."""
        self.env["recurring.mrr.event"].flush_model()
        per_customer = []
        totals = []
        zero = self.env.company.currency_id.rounding / 2
        for index, (date_from, date_to) in enumerate(periods):

            def column(name, index=index):
                return SQL.identifier(f"{name}_{index}")

            per_customer.append(
                SQL(
                    """
                    COALESCE(SUM(ev.delta) FILTER (
                        WHERE ev.date < %(date_from)s), 0) AS %(start)s,
                    COALESCE(SUM(ev.delta) FILTER (
                        WHERE ev.date <= %(date_to)s), 0) AS %(end)s
                    """,
                    date_from=date_from,
                    date_to=date_to,
                    start=column("start"),
                    end=column("end"),
                )
            )
            totals.append(
                SQL(
                    """
                    COALESCE(SUM(%(start)s), 0), COALESCE(SUM(%(end)s), 0),
                    COUNT(*) FILTER (WHERE %(start)s > %(zero)s),
                    COUNT(*) FILTER (WHERE %(end)s > %(zero)s),
                    COUNT(*) FILTER (
                        WHERE %(start)s > %(zero)s AND %(end)s <= %(zero)s),
                    COUNT(*) FILTER (
                        WHERE %(start)s <= %(zero)s AND %(end)s > %(zero)s),
                    COALESCE(SUM(%(end)s) FILTER (WHERE %(start)s > %(zero)s), 0),
                    COALESCE(SUM(LEAST(%(start)s, %(end)s))
                             FILTER (WHERE %(start)s > %(zero)s), 0)
                    """,
                    start=column("start"),
                    end=column("end"),
                    zero=zero,
                )
            )
        self.env.cr.execute(
            SQL(
                """
                WITH customer AS (
                    SELECT ev.partner_id, %(per_customer)s
                      FROM (%(events)s) ev
                  GROUP BY ev.partner_id
                )
                SELECT %(totals)s FROM customer
                """,
                per_customer=SQL(", ").join(per_customer),
                totals=SQL(", ").join(totals),
                events=self._kpi_events_sql(
                    filters,
                    max(date_to for _date_from, date_to in periods),
                    customers=False,
                ),
            )
        )
        keys = (
            "mrr_start",
            "mrr_end",
            "customers_start",
            "customers_end",
            "customers_lost",
            "customers_new",
            "retained_mrr",
            "retained_min",
        )
        values = self.env.cr.fetchone()
        round_ = self.env.company.currency_id.round
        result = []
        for index in range(len(periods)):
            row = dict(
                zip(
                    keys,
                    values[index * len(keys) : (index + 1) * len(keys)],
                    strict=True,
                )
            )
            for key in keys:
                if not key.startswith("customers"):
                    row[key] = round_(row[key])
            result.append(row)
        return result

    @api.model
    def _kpi_get_trials(self, date_from, date_to, filters=None):
        """Trials started from ``date_from`` to ``date_to``: ``{trials,
        trials_ended, trials_converted}``; a trial has ended when it became
        paid, was closed, or its trial end date is past."""
        report = self.env["recurring.kpi.trial"]
        report.flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT COUNT(*), COALESCE(SUM(t.trials_ended), 0),
                       COALESCE(SUM(t.trials_converted), 0)
                  FROM (%s) t
                 WHERE t.date >= %s AND t.date <= %s AND %s
                """,
                report._table_query,
                date_from,
                date_to,
                SQL(" AND ").join(
                    [SQL("TRUE")]
                    + [
                        SQL("t.%s IN %s", SQL.identifier(column), tuple(filters[key]))
                        for key, column in KPI_FILTERS.items()
                        if (filters or {}).get(key)
                    ]
                ),
            )
        )
        return dict(
            zip(
                ("trials", "trials_ended", "trials_converted"),
                self.env.cr.fetchone(),
                strict=True,
            )
        )

    @api.model
    def _kpi_get_usage(self, date_from, date_to, filters=None):
        """Metered usage, apart from MRR: the untaxed amount of posted
        subscription invoices and credit notes for the usage served from
        ``date_from`` to ``date_to`` (their lines' service end date),
        consolidated at the rate of ``date_to``."""
        filters = filters or {}
        domain = [
            ("parent_state", "=", "posted"),
            ("move_id.move_type", "in", ("out_invoice", "out_refund")),
            ("move_id.subscription_id", "!=", False),
            ("product_id.recurring_usage", "=", True),
            ("end_date", ">=", date_from),
            ("end_date", "<=", date_to),
            ("company_id", "in", filters.get("company_ids") or self.env.companies.ids),
        ]
        for key, field in (
            ("plan_ids", "recurring_plan_id"),
            ("template_ids", "sale_order_template_id"),
            ("user_ids", "user_id"),
        ):
            if filters.get(key):
                domain.append((f"move_id.subscription_id.{field}", "in", filters[key]))
        if filters.get("country_ids"):
            domain.append(
                (
                    "move_id.commercial_partner_id.country_id",
                    "in",
                    filters["country_ids"],
                )
            )
        target = self.env.company.currency_id
        total = 0.0
        for company, balance in (
            self.env["account.move.line"]
            .sudo()
            ._read_group(domain, ["company_id"], ["balance:sum"])
        ):
            total += company.currency_id._convert(
                -balance, target, self.env.company, date_to
            )
        return target.round(total)

    @api.model
    def _kpi_get_figures(self, day, filters=None):
        """Every headline figure of the month of ``day``.

        Rates are fractions (0.05 is 5 %), ``False`` when undefined (no
        customer or MRR at the start of the month, no trial ended...).
        """
        return self._kpi_get_figures_multi([day], filters)[0]

    @api.model
    def _kpi_get_figures_multi(self, days, filters=None):
        """:meth:`_kpi_get_figures` of the months of several ``days``; the
        customers of all of them are counted in one pass over the log."""
        periods = []
        for day in days:
            date_from = day.replace(day=1)
            periods.append((date_from, date_from + relativedelta(months=1, days=-1)))
        customers = self._kpi_get_customers_multi(periods, filters)
        round_ = self.env.company.currency_id.round

        def ratio(numerator, denominator):
            return numerator / denominator if denominator else False

        result = []
        movements = self._kpi_get_movements_multi(periods, filters)
        for (date_from, date_to), customer_figures, figures in zip(
            periods, customers, movements, strict=True
        ):
            figures.update(customer_figures)
            figures.update(self._kpi_get_trials(date_from, date_to, filters))
            figures["usage"] = self._kpi_get_usage(date_from, date_to, filters)
            mrr_start, mrr = figures["mrr_start"], figures["mrr_end"]
            lost = figures["churn"] + figures["contraction"]
            gained = figures["expansion"] + figures["reactivation"]
            logo_churn = ratio(figures["customers_lost"], figures["customers_start"])
            arpa = round_(ratio(mrr, figures["customers_end"]) or 0.0)
            figures.update(
                date_from=date_from,
                date_to=date_to,
                mrr=mrr,
                arr=round_(12 * mrr),
                logo_churn=logo_churn,
                revenue_churn_gross=ratio(lost, mrr_start),
                revenue_churn_net=ratio(lost - gained, mrr_start),
                grr=ratio(figures["retained_min"], mrr_start),
                nrr=ratio(figures["retained_mrr"], mrr_start),
                arpa=arpa,
                ltv=round_(arpa / logo_churn) if logo_churn else False,
                trial_conversion=ratio(
                    figures["trials_converted"], figures["trials_ended"]
                ),
            )
            result.append(figures)
        return result

    @api.model
    def _kpi_get_trend(self, day, months=12, filters=None):
        """MRR and its movements for each of the ``months`` months up to the
        month of ``day``, in one query: a list of dicts (``month``,
        ``mrr_start``, ``mrr``, ``arr``, the movements and ``fx`` as
        :meth:`_kpi_get_movements` gives them, ``net_new``,
        ``subscriptions``, ``revenue_churn_gross``, ``revenue_churn_net``),
        oldest first."""
        last = day.replace(day=1)
        first = last - relativedelta(months=months - 1)
        self.env["recurring.mrr.event"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                WITH ev AS (%(events)s),
                month AS (
                    SELECT m::date AS month
                      FROM generate_series(%(first)s::date, %(last)s::date,
                                           interval '1 month') m
                ),
                opening AS (
                    SELECT COALESCE(SUM(delta), 0) AS mrr,
                           COALESCE(SUM(step), 0) AS subscriptions
                      FROM ev WHERE ev.date < %(first)s
                ),
                moves AS (
                    SELECT ev.month, SUM(ev.delta) AS net, SUM(ev.step) AS step,
                           %(sums)s
                      FROM ev WHERE ev.date >= %(first)s
                  GROUP BY ev.month
                )
                SELECT month.month,
                       opening.mrr + SUM(COALESCE(moves.net, 0)) OVER w,
                       COALESCE(moves.net, 0),
                       opening.subscriptions + SUM(COALESCE(moves.step, 0)) OVER w,
                       %(values)s
                  FROM month CROSS JOIN opening
             LEFT JOIN moves ON moves.month = month.month
                WINDOW w AS (ORDER BY month.month)
              ORDER BY month.month
                """,
                # Twelve months are most of the log: sorted whole by customer
                # rather than read customer by customer.
                events=self._kpi_events_sql(
                    filters, last + relativedelta(months=1, days=-1)
                ),
                sums=SQL(", ").join(
                    SQL(
                        "SUM(ev.movement) FILTER (WHERE ev.movement_type = %s) AS %s",
                        movement,
                        SQL.identifier(movement),
                    )
                    for movement in MOVEMENTS
                ),
                values=SQL(", ").join(
                    SQL("COALESCE(moves.%s, 0)", SQL.identifier(movement))
                    for movement in MOVEMENTS
                ),
                first=first,
                last=last,
            )
        )
        round_ = self.env.company.currency_id.round
        trend = []
        for row in self.env.cr.fetchall():
            month, mrr, net, subscriptions, *sums = row
            mrr_start = round_(mrr - net)
            values = self._kpi_movement_figures(
                dict(zip(MOVEMENTS, sums, strict=True)), net
            )
            lost = values["churn"] + values["contraction"]
            gained = values["expansion"] + values["reactivation"]
            values.update(
                month=month,
                mrr_start=mrr_start,
                mrr=round_(mrr),
                arr=round_(12 * mrr),
                subscriptions=int(subscriptions),
                revenue_churn_gross=lost / mrr_start if mrr_start else False,
                revenue_churn_net=(lost - gained) / mrr_start if mrr_start else False,
            )
            trend.append(values)
        return trend
