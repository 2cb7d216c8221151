# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import Form, new_test_user, tagged

from .common import RecurringBillingCommon


class RecurringKpiCommon(RecurringBillingCommon):
    """A known history over January to April 2025, in two companies and two
    currencies. Company A (EUR) is the company of the viewer; USD is worth
    0.50 EUR until the end of February, 0.40 EUR from 1 March. Monthly
    recurring revenue (MRR) of each subscription, consolidated in EUR:

    ====  ========  ======================================  =====================
    sub   customer  plan, price                             history
    ====  ========  ======================================  =====================
    S1    c1        monthly EUR, 2 x 50.00                  new 1/1 100; +50 on
                                                            10/2 (3 seats); -100
                                                            on 20/3 (1 seat)
    S2    c2        yearly EUR, 1200.00 -10 % = 90.00/month new 10/1; paused 15/2;
                                                            resumed 5/3
    S3    c3 (BE)   monthly USD 200.00 = 100.00 EUR         new 15/1; 2 seats on
                                                            15/3: 400 USD = 160 EUR
    S4    c4        monthly EUR 80.00                       new 20/1; closed 20/2;
                                                            reopened 1/4
    S5    c5        monthly EUR 60.00, 14-day trial         trial 1/2, paid 15/2
    S6    c6        monthly EUR 60.00, 14-day trial         trial 5/2, closed 10/2
    S7    c7        monthly EUR 40.00, 14-day trial         trial 10/3, paid 24/3
    S8    c8        monthly EUR 40.00, 14-day trial         trial 25/3 (running)
    T1    d1        company B (USD), monthly 300.00 USD     new 5/1 (150.00 EUR);
                                                            closed 10/3
    ====  ========  ======================================  =====================
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.usd = cls.setup_other_currency(
            "USD", rates=[("2016-01-01", 2.0), ("2025-03-01", 2.5)]
        )
        cls.company_b_data = cls.setup_other_company(
            name="Nuage US", currency_id=cls.usd.id
        )
        cls.company_b = cls.company_b_data["company"]
        cls.product_cloud.taxes_id |= cls.company_b_data["default_tax_sale"]
        cls.env.user.company_ids |= cls.company_b
        cls.pricelist_usd = cls.env["product.pricelist"].create(
            {"name": "USD", "currency_id": cls.usd.id, "company_id": cls.company.id}
        )
        cls.template_yearly = cls.template_monthly.copy(
            {"name": "Cloud yearly", "plan_id": cls.plan_yearly.id}
        )
        cls.template_trial = cls.template_monthly.copy(
            {"name": "Cloud trial", "trial_days": 14}
        )
        cls.salesman = new_test_user(
            cls.env,
            login="kpi_salesman",
            groups="sales_team.group_sale_salesman",
            company_id=cls.company.id,
            company_ids=[Command.set((cls.company + cls.company_b).ids)],
        )
        fr = cls.env.ref("base.fr")
        be = cls.env.ref("base.be")
        cls.customers = cls.env["res.partner"].create(
            [
                {"name": f"Customer {name}", "country_id": country.id}
                for name, country in (
                    ("c1", fr),
                    ("c2", fr),
                    ("c3", be),
                    ("c4", fr),
                    ("c5", fr),
                    ("c6", fr),
                    ("c7", fr),
                    ("c8", fr),
                    ("d1", fr),
                )
            ]
        )
        c1, c2, c3, c4, c5, c6, c7, c8, d1 = cls.customers
        cls.s1 = cls._kpi_subscription(
            "2025-01-01", c1, 50.0, qty=2, user_id=cls.salesman.id
        )
        cls.t1 = cls._kpi_subscription(
            "2025-01-05", d1, 300.0, company_id=cls.company_b.id
        )
        cls.s2 = cls._kpi_subscription(
            "2025-01-10", c2, 1200.0, discount=10, template=cls.template_yearly
        )
        cls.s3 = cls._kpi_subscription(
            "2025-01-15", c3, 200.0, pricelist_id=cls.pricelist_usd.id
        )
        cls.s4 = cls._kpi_subscription("2025-01-20", c4, 80.0)
        cls.s5 = cls._kpi_subscription(
            "2025-02-01", c5, 60.0, template=cls.template_trial
        )
        cls.s6 = cls._kpi_subscription(
            "2025-02-05", c6, 60.0, template=cls.template_trial
        )
        with freeze_time("2025-02-10"):
            cls.s6.action_subscription_cancel_at_period_end()
        cls._kpi_engine("2025-02-10")
        with freeze_time("2025-02-10"):
            cls.s1._subscription_change({cls.product_cloud: 3})
        cls._kpi_engine("2025-02-15")
        with freeze_time("2025-02-15"):
            cls.s2.action_subscription_pause()
        with freeze_time("2025-02-20"):
            cls.s4.action_subscription_close()
        with freeze_time("2025-03-05"):
            cls.s2.action_subscription_resume()
        cls.s7 = cls._kpi_subscription(
            "2025-03-10", c7, 40.0, template=cls.template_trial
        )
        cls._kpi_engine("2025-03-10")
        with freeze_time("2025-03-10"):
            cls.t1.action_subscription_close()
        cls._kpi_engine("2025-03-15")
        with freeze_time("2025-03-15"):
            cls.s3._subscription_change({cls.product_cloud: 2})
        cls._kpi_engine("2025-03-20")
        with freeze_time("2025-03-20"):
            cls.s1._subscription_change({cls.product_cloud: 1})
        cls._kpi_engine("2025-03-24")
        cls.s8 = cls._kpi_subscription(
            "2025-03-25", c8, 40.0, template=cls.template_trial
        )
        with freeze_time("2025-04-01"):
            cls.s4.action_subscription_reopen()
        cls.env["recurring.mrr.event"].flush_model()
        cls.both = (cls.company + cls.company_b).ids

    @classmethod
    def _kpi_subscription(
        cls, start, partner, price, qty=1, discount=0.0, template=None, **vals
    ):
        template = template or cls.template_monthly
        order = cls.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "sale_order_template_id": template.id,
                "subscription_start_date": start,
                "order_line": [
                    Command.create(
                        {
                            "product_id": cls.product_cloud.id,
                            "product_uom_qty": qty,
                            "price_unit": price,
                            "discount": discount,
                        }
                    )
                ],
                **vals,
            }
        )
        with freeze_time(start):
            order.action_confirm()
        return order

    @classmethod
    def _kpi_engine(cls, day):
        with freeze_time(day):
            for _call in range(20):
                cls.env["recurring.invoicing"]._cron_recurring_invoice(batch_size=100)
                if not cls.env["sale.order"].search_count(
                    cls.env["sale.order"]._get_subscriptions_to_invoice_domain()
                ):
                    break

    def _query(self, companies=None, company=None):
        companies = companies or self.both
        return (
            self.env["recurring.kpi.query"]
            .with_company(company or self.company)
            .with_context(allowed_company_ids=companies)
        )

    def assertFigures(self, figures, expected):
        for key, value in expected.items():
            if isinstance(value, float) and key in RATES:
                self.assertAlmostEqual(
                    figures[key], value, delta=0.0005, msg=f"{key} (rate)"
                )
            else:
                self.assertEqual(figures[key], value, key)


RATES = (
    "logo_churn",
    "revenue_churn_gross",
    "revenue_churn_net",
    "grr",
    "nrr",
    "trial_conversion",
)


@tagged("post_install", "-at_install")
class TestKpi(RecurringKpiCommon):
    def test_mrr_log(self):
        """Each change of MRR is logged when it happens, with its type, its
        reason, and amounts in both currencies at the rate of its day."""
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
                )
                for event in events
            ],
            [
                ("2025-01-01", "c1", "new", "start", 100.0, 100.0),
                ("2025-01-05", "d1", "new", "start", 300.0, 300.0),
                ("2025-01-10", "c2", "new", "start", 90.0, 90.0),
                ("2025-01-15", "c3", "new", "start", 200.0, 100.0),
                ("2025-01-20", "c4", "new", "start", 80.0, 80.0),
                ("2025-02-10", "c1", "expansion", "change", 150.0, 50.0),
                ("2025-02-15", "c5", "new", "trial_end", 60.0, 60.0),
                ("2025-02-15", "c2", "churn", "pause", 0.0, -90.0),
                ("2025-02-20", "c4", "churn", "close", 0.0, -80.0),
                ("2025-03-05", "c2", "reactivation", "resume", 90.0, 90.0),
                ("2025-03-10", "d1", "churn", "close", 0.0, -300.0),
                ("2025-03-15", "c3", "expansion", "change", 400.0, 60.0),
                ("2025-03-20", "c1", "contraction", "change", 50.0, -100.0),
                ("2025-03-24", "c7", "new", "trial_end", 40.0, 40.0),
                ("2025-04-01", "c4", "reactivation", "reopen", 80.0, 80.0),
            ],
        )
        s3_events = events.filtered(lambda e: e.subscription_id == self.s3)
        self.assertEqual(s3_events.currency_id, self.usd)
        self.assertEqual(s3_events.mapped("mrr_after_company"), [100.0, 160.0])
        self.assertEqual(s3_events[1].mrr_before_company, 100.0)
        self.assertEqual(s3_events[1].previous_date, date(2025, 1, 15))
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
                "expansion": 60.0,
                "contraction": 100.0,
                "churn": 150.0,
                "reactivation": 90.0,
                "net_new": -60.0,
                "mrr": 400.0,
                "arr": 4800.0,
                "customers_start": 4,
                "customers_end": 5,
                "customers_lost": 1,
                "customers_new": 2,
                "logo_churn": 0.25,
                "revenue_churn_gross": 0.543478,
                "revenue_churn_net": 0.217391,
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
        self.assertAlmostEqual(trend[2]["revenue_churn_net"], 0.217391, places=5)

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
                    "net_new_mrr:sum",
                    "mrr:sum",
                    "arr:sum",
                    "subscriptions:sum",
                ],
            )
        self.assertEqual(
            [(str(month), *(round(v, 2) for v in values)) for month, *values in groups],
            [
                ("2025-01-01", 0, 520, 0, 0, 0, 0, 520, 520, 6240, 5),
                ("2025-02-01", 520, 60, 50, 0, 170, 0, -60, 460, 5520, 4),
                ("2025-03-01", 460, 40, 60, 100, 150, 90, -60, 400, 4800, 5),
                ("2025-04-01", 400, 0, 0, 0, 0, 80, 80, 480, 5760, 6),
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
                ("2025-03-10", "churn", "backfill", -300.0),
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


@tagged("post_install", "-at_install")
class TestKpiAccess(RecurringKpiCommon):
    def test_roles(self):
        accountant = new_test_user(
            self.env,
            login="kpi_accountant",
            groups="account.group_account_user",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        manager = new_test_user(
            self.env,
            login="kpi_manager",
            groups="sales_team.group_sale_manager",
            company_id=self.company.id,
            company_ids=[Command.set(self.both)],
        )
        # The salesman sees the movements of his own subscriptions only, and
        # none of the reports.
        Event = self.env["recurring.mrr.event"].with_user(self.salesman)
        self.assertEqual(
            Event.search([]).subscription_id,
            self.s1,
        )
        with self.assertRaises(AccessError):
            self.env["recurring.kpi.monthly"].with_user(self.salesman).search([])
        with self.assertRaises(AccessError):
            self.env["recurring.kpi.dashboard"].with_user(self.salesman).create({})
        # The accountant of company A reads company A's figures only.
        with freeze_time("2025-04-15"):
            dashboard = (
                self.env["recurring.kpi.dashboard"]
                .with_user(accountant)
                .create({"date": "2025-02-28"})
            )
            self.assertEqual(dashboard.mrr, 310.0)
            self.assertNotIn(
                self.company_b,
                self.env["recurring.kpi.monthly"]
                .with_user(accountant)
                .search([])
                .company_id,
            )
            self.assertNotIn(
                self.t1,
                self.env["recurring.mrr.event"]
                .with_user(accountant)
                .search([])
                .subscription_id,
            )
        # The sales administrator, in both companies, sees them consolidated.
        with freeze_time("2025-04-15"):
            dashboard = (
                self.env["recurring.kpi.dashboard"]
                .with_user(manager)
                .with_context(allowed_company_ids=self.both)
                .create({"date": "2025-02-28"})
            )
            self.assertEqual(dashboard.mrr, 460.0)
            cohorts = (
                self.env["recurring.kpi.cohort"]
                .with_user(manager)
                .with_context(allowed_company_ids=self.both)
                .search_count([])
            )
            self.assertTrue(cohorts)
        # The pause of a salesman is logged whatever his rights on the log.
        with freeze_time("2025-04-10"):
            self.s1.with_user(self.salesman).action_subscription_pause()
        self.assertEqual(self.s1.mrr_event_ids.sorted("id")[-1].event_type, "churn")


@tagged("post_install", "-at_install")
class TestKpiMeteredUsage(RecurringBillingCommon):
    def test_usage_is_apart_from_mrr(self):
        self.env.ref("product.decimal_price").digits = 4
        api_calls = self._create_product(
            name="API calls",
            type="service",
            lst_price=0.002,
            recurring_invoice=True,
            recurring_usage=True,
            recurring_usage_included=1000,
            invoice_policy="order",
        )
        sub = self._create_subscription(
            "2025-03-01", lines=[(self.product_cloud, 1), (api_calls, 1)]
        )
        self.assertEqual(sub.mrr_event_ids.mrr_after, 30.0)
        self._run_engine("2025-03-01")
        self.env["recurring.usage"].create(
            {
                "subscription_id": sub.id,
                "product_id": api_calls.id,
                "date": "2025-03-02",
                "quantity": 251_000,
            }
        )
        self._run_engine("2025-04-01")
        query = self.env["recurring.kpi.query"].with_context(
            allowed_company_ids=self.company.ids
        )
        # 250,000 calls above the 1,000 included, at 0.002.
        self.assertEqual(
            query._kpi_get_usage(date(2025, 3, 1), date(2025, 3, 31)), 500.0
        )
        figures = query._kpi_get_figures(date(2025, 4, 30))
        self.assertEqual((figures["mrr"], figures["usage"]), (30.0, 0.0))
