# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date

from freezegun import freeze_time

from odoo.tests import Form, tagged

from .kpi_common import RecurringKpiCommon


@tagged("post_install", "-at_install")
class TestKpi(RecurringKpiCommon):
    def test_mrr_log(self):
        """Each change of MRR is logged when it happens, with its type, its
        reason, and amounts in both currencies at the rate of its day; a
        close the day after the last day served."""
        events = self.env["recurring.mrr.event"].search(
            [("subscription_id", "in", self.customers.sale_order_ids.ids)],
            order="date, id",
        )
        self.assertEqual(
            [
                (
                    str(event.date),
                    event.subscription_id.partner_id.name[-2:],
                    event.event_type,
                    event.reason,
                    event.mrr_after,
                    event.mrr_delta_company,
                    event.mrr_fx_company,
                )
                for event in events
            ],
            [
                ("2025-01-01", "c1", "new", "start", 100.0, 100.0, 0.0),
                ("2025-01-05", "d1", "new", "start", 300.0, 300.0, 0.0),
                ("2025-01-10", "c2", "new", "start", 90.0, 90.0, 0.0),
                ("2025-01-15", "c3", "new", "start", 200.0, 100.0, 0.0),
                ("2025-01-20", "c4", "new", "start", 80.0, 80.0, 0.0),
                ("2025-02-10", "c1", "expansion", "change", 150.0, 50.0, 0.0),
                ("2025-02-15", "c5", "new", "trial_end", 60.0, 60.0, 0.0),
                ("2025-02-15", "c2", "churn", "pause", 0.0, -90.0, 0.0),
                ("2025-02-21", "c4", "churn", "close", 0.0, -80.0, 0.0),
                ("2025-03-05", "c2", "reactivation", "resume", 90.0, 90.0, 0.0),
                ("2025-03-11", "d1", "churn", "close", 0.0, -300.0, 0.0),
                # 200 USD more at 2.5 USD/EUR; the 200 USD before, worth
                # 100 EUR at 2.0, are worth 80 EUR at 2.5: -20 EUR of FX.
                ("2025-03-15", "c3", "expansion", "change", 400.0, 80.0, -20.0),
                ("2025-03-20", "c1", "contraction", "change", 50.0, -100.0, 0.0),
                ("2025-03-24", "c7", "new", "trial_end", 40.0, 40.0, 0.0),
                ("2025-04-01", "c4", "reactivation", "reopen", 80.0, 80.0, 0.0),
            ],
        )
        s3_events = events.filtered(lambda e: e.subscription_id == self.s3)
        self.assertEqual(s3_events.currency_id, self.usd)
        self.assertEqual(s3_events.mapped("mrr_after_company"), [100.0, 160.0])
        self.assertEqual(s3_events[1].mrr_before_company, 100.0)
        self.assertEqual(s3_events[1].previous_date, date(2025, 1, 15))
        for event in events:
            self.assertAlmostEqual(
                event.mrr_before_company
                + event.mrr_delta_company
                + event.mrr_fx_company,
                event.mrr_after_company,
                places=2,
            )
        # No movement for trials, nor for the trial closed before it paid.
        self.assertFalse(self.s6.mrr_event_ids)
        self.assertFalse(self.s8.mrr_event_ids)

    def test_month_figures_consolidated(self):
        """Every headline figure of each month, both companies in EUR."""
        query = self._query()
        self.assertFigures(
            query._kpi_get_figures(date(2025, 1, 31)),
            {
                "mrr_start": 0.0,
                "new": 520.0,
                "expansion": 0.0,
                "contraction": 0.0,
                "churn": 0.0,
                "reactivation": 0.0,
                "net_new": 520.0,
                "mrr": 520.0,
                "arr": 6240.0,
                "customers_start": 0,
                "customers_end": 5,
                "customers_lost": 0,
                "arpa": 104.0,
                "logo_churn": False,
                "ltv": False,
                "grr": False,
                "nrr": False,
            },
        )
        self.assertFigures(
            query._kpi_get_figures(date(2025, 2, 1)),
            {
                "mrr_start": 520.0,
                "new": 60.0,
                "expansion": 50.0,
                "contraction": 0.0,
                "churn": 170.0,
                "reactivation": 0.0,
                "net_new": -60.0,
                "mrr": 460.0,
                "arr": 5520.0,
                "customers_start": 5,
                "customers_end": 4,
                "customers_lost": 2,
                "customers_new": 1,
                "logo_churn": 0.4,
                "revenue_churn_gross": 0.326923,
                "revenue_churn_net": 0.230769,
                "grr": 0.673077,
                "nrr": 0.769231,
                "arpa": 115.0,
                "ltv": 287.5,
                "trials": 2,
                "trials_ended": 2,
                "trials_converted": 1,
                "trial_conversion": 0.5,
            },
        )
        with freeze_time("2025-03-31"):
            march = query._kpi_get_figures(date(2025, 3, 31))
        self.assertFigures(
            march,
            {
                "mrr_start": 460.0,
                "new": 40.0,
                # S3's upgrade at March's rate; its FX and T1's (300 USD of
                # company B set at 150 EUR, lost at 120 EUR) apart.
                "expansion": 80.0,
                "contraction": 100.0,
                "churn": 120.0,
                "reactivation": 90.0,
                "fx": -50.0,
                "net_new": -60.0,
                "mrr": 400.0,
                "arr": 4800.0,
                "customers_start": 4,
                "customers_end": 5,
                "customers_lost": 1,
                "customers_new": 2,
                "logo_churn": 0.25,
                "revenue_churn_gross": 0.478261,
                "revenue_churn_net": 0.108696,
                "grr": 0.456522,
                "nrr": 0.586957,
                "arpa": 80.0,
                "ltv": 320.0,
                "trials": 2,
                "trials_ended": 1,
                "trials_converted": 1,
                "trial_conversion": 1.0,
            },
        )
        with freeze_time("2025-04-15"):
            april = query._kpi_get_figures(date(2025, 4, 15))
        self.assertFigures(
            april,
            {
                "mrr_start": 400.0,
                "reactivation": 80.0,
                "net_new": 80.0,
                "mrr": 480.0,
                "customers_start": 5,
                "customers_end": 6,
                "logo_churn": 0.0,
                "ltv": False,
                "grr": 1.0,
                "nrr": 1.0,
                "arpa": 80.0,
                "trials": 0,
                "trial_conversion": False,
            },
        )

    def test_figures_per_company_and_filters(self):
        # Company A alone, in EUR: without T1.
        only_a = self._query(companies=self.company.ids)
        self.assertFigures(
            only_a._kpi_get_figures(date(2025, 2, 28)),
            {"mrr_start": 370.0, "mrr": 310.0, "customers_end": 3},
        )
        # Company B alone, in its own currency.
        only_b = self._query(companies=self.company_b.ids, company=self.company_b)
        self.assertFigures(
            only_b._kpi_get_figures(date(2025, 3, 31)),
            {"mrr_start": 300.0, "churn": 300.0, "mrr": 0.0, "logo_churn": 1.0},
        )
        query = self._query()
        be = self.env.ref("base.be")
        self.assertEqual(
            query._kpi_get_mrr(date(2025, 3, 31), {"country_ids": be.ids}), 160.0
        )
        self.assertEqual(
            query._kpi_get_mrr(
                date(2025, 3, 31), {"template_ids": self.template_trial.ids}
            ),
            100.0,
        )
        self.assertEqual(
            query._kpi_get_mrr(date(2025, 3, 31), {"plan_ids": self.plan_yearly.ids}),
            90.0,
        )
        self.assertEqual(
            query._kpi_get_mrr(date(2025, 3, 9), {"user_ids": self.salesman.ids}),
            150.0,
        )
        self.assertEqual(
            query._kpi_get_mrr(date(2025, 3, 9), {"company_ids": self.company_b.ids}),
            150.0,
        )

    def test_trend(self):
        with freeze_time("2025-04-15"):
            trend = self._query()._kpi_get_trend(date(2025, 4, 15), months=4)
        self.assertEqual(
            [
                (
                    str(month["month"]),
                    month["mrr"],
                    month["arr"],
                    month["net_new"],
                    month["subscriptions"],
                )
                for month in trend
            ],
            [
                ("2025-01-01", 520.0, 6240.0, 520.0, 5),
                ("2025-02-01", 460.0, 5520.0, -60.0, 4),
                ("2025-03-01", 400.0, 4800.0, -60.0, 5),
                ("2025-04-01", 480.0, 5760.0, 80.0, 6),
            ],
        )
        self.assertFalse(trend[0]["revenue_churn_gross"])
        self.assertAlmostEqual(trend[1]["revenue_churn_gross"], 0.326923, places=5)
        self.assertAlmostEqual(trend[2]["revenue_churn_net"], 0.108696, places=5)
        self.assertEqual(
            [
                (month["new"], month["expansion"], month["churn"], month["fx"])
                for month in trend
            ],
            [
                (520.0, 0.0, 0.0, 0.0),
                (60.0, 50.0, 170.0, 0.0),
                (40.0, 80.0, 120.0, -50.0),
                (0.0, 0.0, 0.0, 0.0),
            ],
        )

    def test_monthly_report(self):
        with freeze_time("2025-04-15"):
            report = self.env["recurring.kpi.monthly"].with_context(
                allowed_company_ids=self.both
            )
            groups = report._read_group(
                [],
                ["date:month"],
                [
                    "mrr_start:sum",
                    "new_mrr:sum",
                    "expansion_mrr:sum",
                    "contraction_mrr:sum",
                    "churn_mrr:sum",
                    "reactivation_mrr:sum",
                    "fx_mrr:sum",
                    "net_new_mrr:sum",
                    "mrr:sum",
                    "arr:sum",
                    "subscriptions:sum",
                ],
            )
        self.assertEqual(
            [(str(month), *(round(v, 2) for v in values)) for month, *values in groups],
            [
                ("2025-01-01", 0, 520, 0, 0, 0, 0, 0, 520, 520, 6240, 5),
                ("2025-02-01", 520, 60, 50, 0, 170, 0, 0, -60, 460, 5520, 4),
                ("2025-03-01", 460, 40, 80, 100, 120, 90, -50, -60, 400, 4800, 5),
                ("2025-04-01", 400, 0, 0, 0, 0, 80, 0, 80, 480, 5760, 6),
            ],
        )
        # Filters are domains on the report: the yearly plan in March.
        with freeze_time("2025-04-15"):
            yearly = report.search(
                [("plan_id", "=", self.plan_yearly.id), ("date", "=", "2025-03-01")]
            )
        self.assertEqual(yearly.mapped("mrr"), [90.0])
        self.assertEqual(yearly.reactivation_mrr, 90.0)

    def test_cohort_report(self):
        with freeze_time("2025-04-15"):
            groups = (
                self.env["recurring.kpi.cohort"]
                .with_context(allowed_company_ids=self.both)
                ._read_group(
                    [("cohort_date", "=", "2025-01-01")],
                    ["months_since_start"],
                    [
                        "active_subscriptions:sum",
                        "active_mrr:sum",
                        "customer_retention:sum",
                        "mrr_retention:sum",
                    ],
                )
            )
        self.assertEqual(
            [
                (age, active, round(mrr, 2), round(customers, 1), round(share, 1))
                for age, active, mrr, customers, share in groups
            ],
            [
                (0, 5, 520.0, 100.0, 100.0),
                (1, 3, 400.0, 60.0, 76.9),
                (2, 3, 300.0, 60.0, 57.7),
                (3, 4, 380.0, 80.0, 73.1),
            ],
        )

    def test_trial_report(self):
        with freeze_time("2025-03-31"):
            groups = (
                self.env["recurring.kpi.trial"]
                .with_context(allowed_company_ids=self.both)
                ._read_group(
                    [],
                    ["date:month"],
                    [
                        "trials:sum",
                        "trials_ended:sum",
                        "trials_converted:sum",
                        "conversion_rate:avg",
                    ],
                )
            )
        self.assertEqual(
            [(str(month), *values) for month, *values in groups],
            [("2025-02-01", 2, 2, 1, 50.0), ("2025-03-01", 2, 1, 1, 100.0)],
        )

    def test_dashboard(self):
        dashboard = (
            self.env["recurring.kpi.dashboard"]
            .with_context(allowed_company_ids=self.both)
            .create({"date": "2025-03-12"})
        )
        self.assertEqual(dashboard.mrr, 400.0)
        self.assertEqual(dashboard.mrr_previous, 460.0)
        self.assertEqual(dashboard.net_new_mrr, -60.0)
        self.assertEqual(dashboard.ltv, 320.0)
        self.assertEqual(dashboard.ltv_previous, 287.5)
        self.assertAlmostEqual(dashboard.logo_churn, 0.25)
        self.assertAlmostEqual(dashboard.trial_conversion_previous, 0.5)
        self.assertIn("o_recurring_kpi_trend", dashboard.trend_html)
        dashboard.plan_ids = self.plan_yearly
        self.assertEqual(dashboard.mrr, 90.0)
        self.assertEqual(dashboard.mrr_previous, 0.0)
        # As the web client opens it: a new record, figures by onchange.
        form = Form(
            self.env["recurring.kpi.dashboard"].with_context(
                allowed_company_ids=self.both
            )
        )
        form.date = date(2025, 3, 12)
        self.assertEqual(form.mrr, 400.0)
        self.assertEqual(form.new_mrr_previous, 60.0)
        form.plan_ids.add(self.plan_yearly)
        self.assertEqual(form.mrr, 90.0)
        action = dashboard.action_open_monthly()
        self.assertEqual(action["res_model"], "recurring.kpi.monthly")
        self.assertEqual(action["domain"], [("plan_id", "in", self.plan_yearly.ids)])

    def test_suspension_and_backfill(self):
        """Another addon tells why it pauses; subscriptions that predate the
        log are backfilled from their dates."""
        with freeze_time("2025-04-05"):
            self.s5.with_context(
                recurring_kpi_reason="suspend"
            ).action_subscription_pause()
        event = self.s5.mrr_event_ids.sorted("id")[-1]
        self.assertEqual(
            (event.date, event.event_type, event.reason, event.mrr_delta_company),
            (date(2025, 4, 5), "churn", "suspend", -60.0),
        )
        self.s4.mrr_event_ids.sudo().unlink()
        self.s6.mrr_event_ids.sudo().unlink()
        self.t1.mrr_event_ids.sudo().unlink()
        with freeze_time("2025-04-15"):
            self.assertEqual(self.env["recurring.mrr.event"]._backfill(), 2)
        self.assertEqual(
            [
                (str(e.date), e.event_type, e.reason, e.mrr_delta_company)
                for e in self.t1.mrr_event_ids.sorted("id")
            ],
            [
                ("2025-01-05", "new", "backfill", 300.0),
                ("2025-03-11", "churn", "backfill", -300.0),
            ],
        )
        self.assertEqual(
            [
                (str(e.date), e.event_type, e.reason, e.mrr_delta_company)
                for e in self.s4.mrr_event_ids.sorted("id")
            ],
            [("2025-01-20", "new", "backfill", 80.0)],
        )
        self.assertFalse(self.s6.mrr_event_ids, "a trial never paid has no MRR")
        with freeze_time("2025-04-15"):
            self.assertEqual(self.env["recurring.mrr.event"]._backfill(), 0)
