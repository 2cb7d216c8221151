# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from freezegun import freeze_time

from odoo import Command
from odoo.tests import new_test_user

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
