# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .kpi_common import RecurringKpiCommon

MONTHS = [date(2025, month, 1) for month in range(1, 6)]


@tagged("post_install", "-at_install")
class TestKpiMovements(RecurringKpiCommon):
    """The movements of the history of ``RecurringKpiCommon`` and of changes
    made on top of it, month by month, per company and consolidated."""

    def _events(self, orders):
        return [
            (str(e.date), e.event_type, e.reason, e.mrr_delta_company, e.mrr_fx_company)
            for e in orders.mrr_event_ids.sorted(lambda e: (e.date, e.id))
        ]

    def _figures_by_month(self, query):
        with freeze_time("2025-05-31"):
            return [query._kpi_get_figures(month) for month in MONTHS]

    def assertIdentity(self, query):
        """MRR at the start + movements + FX = MRR at the end, to the cent,
        in every month; the trend gives the same figures."""
        figures = self._figures_by_month(query)
        with freeze_time("2025-05-31"):
            trend = query._kpi_get_trend(MONTHS[-1], months=len(MONTHS))
        for month, month_figures, month_trend in zip(
            MONTHS, figures, trend, strict=True
        ):
            movements = round(
                month_figures["new"]
                + month_figures["expansion"]
                + month_figures["reactivation"]
                - month_figures["contraction"]
                - month_figures["churn"]
                + month_figures["fx"],
                2,
            )
            self.assertEqual(movements, month_figures["net_new"], month)
            self.assertEqual(
                round(month_figures["mrr_start"] + month_figures["net_new"], 2),
                month_figures["mrr"],
                month,
            )
            for key in ("new", "expansion", "contraction", "churn", "fx", "mrr"):
                self.assertEqual(month_trend[key], month_figures[key], (month, key))
            self.assertEqual(month_trend["mrr_start"], month_figures["mrr_start"])
        return figures

    def test_identity_per_company_and_consolidated(self):
        """Company A in EUR, company B in USD, both consolidated in EUR:
        the exchange-rate effect is its own movement, with its sign."""
        consolidated = self.assertIdentity(self._query())
        only_a = self.assertIdentity(self._query(companies=self.company.ids))
        only_b = self.assertIdentity(
            self._query(companies=self.company_b.ids, company=self.company_b)
        )

        def movements(figures):
            return [
                (
                    f["mrr_start"],
                    f["new"],
                    f["expansion"],
                    f["contraction"],
                    f["churn"],
                    f["reactivation"],
                    f["fx"],
                    f["mrr"],
                )
                for f in figures
            ]

        self.assertEqual(
            movements(consolidated),
            [
                (0.0, 520.0, 0.0, 0.0, 0.0, 0.0, 0.0, 520.0),
                (520.0, 60.0, 50.0, 0.0, 170.0, 0.0, 0.0, 460.0),
                (460.0, 40.0, 80.0, 100.0, 120.0, 90.0, -50.0, 400.0),
                (400.0, 0.0, 0.0, 0.0, 0.0, 80.0, 0.0, 480.0),
                (480.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 480.0),
            ],
        )
        # S3 (USD in company A): +200 USD = +80 EUR at 2.5, and the 200 USD
        # set at 100 EUR revalued at 80 EUR.
        self.assertEqual(
            movements(only_a),
            [
                (0.0, 370.0, 0.0, 0.0, 0.0, 0.0, 0.0, 370.0),
                (370.0, 60.0, 50.0, 0.0, 170.0, 0.0, 0.0, 310.0),
                (310.0, 40.0, 80.0, 100.0, 0.0, 90.0, -20.0, 400.0),
                (400.0, 0.0, 0.0, 0.0, 0.0, 80.0, 0.0, 480.0),
                (480.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 480.0),
            ],
        )
        # Company B in its own currency: no exchange rate at all.
        self.assertEqual(
            movements(only_b),
            [
                (0.0, 300.0, 0.0, 0.0, 0.0, 0.0, 0.0, 300.0),
                (300.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 300.0),
                (300.0, 0.0, 0.0, 0.0, 300.0, 0.0, 0.0, 0.0),
                (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
                (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
            ],
        )

    def test_upgrade_after_the_rate_moved(self):
        """An upgrade of a USD subscription after the rate moved: an
        expansion at the day's rate, never negative, and its FX apart."""
        rate = self.usd.rate_ids[:1]
        self.env["res.currency.rate"].create(
            {
                "name": "2025-04-01",
                "rate": 3.0,
                "currency_id": self.usd.id,
                "company_id": rate.company_id.id,
            }
        )
        with freeze_time("2025-04-10"):
            self.s3._subscription_change({self.product_cloud: 3})
        # 200 USD more at 3.0 = 66.67 EUR; the 400 USD before, set at 160.00
        # EUR, worth 133.33 EUR at 3.0: -26.67 EUR of FX (600 USD = 200 EUR).
        self.assertEqual(
            self._events(self.s3)[-1],
            ("2025-04-10", "expansion", "change", 66.67, -26.67),
        )
        self.assertEqual(self.s3.mrr_event_ids[0].mrr_after_company, 200.0)
        april = self.assertIdentity(self._query())[3]
        self.assertFigures(
            april,
            {
                "mrr_start": 400.0,
                "expansion": 66.67,
                "reactivation": 80.0,
                "fx": -26.67,
                "net_new": 120.0,
                "mrr": 520.0,
                # FX is no revenue churn: (0 - 66.67 - 80) / 400.
                "revenue_churn_net": -0.366675,
            },
        )

    def test_customer_level_movements(self):
        """ChartMogul's convention: a second subscription of a paying
        customer is an expansion, a customer back a reactivation, a
        subscription stopped while others go on a contraction; logo churn
        and GRR are per customer."""
        c1, _c2, _c3, _c4, _c5, _c6, _c7, _c8, d1 = self.customers
        back = self._kpi_subscription("2025-04-05", d1, 100.0)
        second = self._kpi_subscription("2025-04-10", c1, 70.0)
        with freeze_time("2025-04-20"):
            self.s1.action_subscription_close()
        # The log keeps each subscription's own movement.
        self.assertEqual(self._events(back), [("2025-04-05", "new", "start", 100, 0)])
        self.assertEqual(
            self._events(second), [("2025-04-10", "new", "start", 70.0, 0.0)]
        )
        self.assertEqual(
            self._events(self.s1)[-1], ("2025-04-21", "churn", "close", -50.0, 0.0)
        )
        april = self.assertIdentity(self._query())[3]
        self.assertFigures(
            april,
            {
                "mrr_start": 400.0,
                "new": 0.0,
                "expansion": 70.0,
                "contraction": 50.0,
                "churn": 0.0,
                "reactivation": 180.0,
                "fx": 0.0,
                "net_new": 200.0,
                "mrr": 600.0,
                "customers_start": 5,
                "customers_end": 7,
                "customers_lost": 0,
                "logo_churn": 0.0,
                # min(50, 70) + 90 + 160 + 60 + 40 = 400 of 400.
                "grr": 1.0,
                # 70 + 90 + 160 + 60 + 40 = 420 of 400.
                "nrr": 1.05,
                "revenue_churn_gross": 0.125,
            },
        )
        with freeze_time("2025-05-31"):
            groups = (
                self.env["recurring.kpi.monthly"]
                .with_context(allowed_company_ids=self.both)
                ._read_group(
                    [("date", "=", "2025-04-01")],
                    [],
                    [
                        "expansion_mrr:sum",
                        "contraction_mrr:sum",
                        "churn_mrr:sum",
                        "reactivation_mrr:sum",
                        "net_new_mrr:sum",
                    ],
                )
            )
        self.assertEqual(groups, [(70.0, 50.0, 0.0, 180.0, 200.0)])

    def test_month_end_cancellation_churns_next_month(self):
        """Cancelled at period end, a subscription counts until its last day:
        its churn is dated the day after."""
        self._kpi_engine("2025-04-10")  # April billed; S8's trial ends 8/4
        with freeze_time("2025-04-10"):
            self.s1.action_subscription_cancel_at_period_end()
        self.assertEqual(self.s1.subscription_end_date, date(2025, 4, 30))
        self._kpi_engine("2025-05-01")
        self.assertEqual(self.s1.subscription_state, "closed")
        self.assertEqual(
            self._events(self.s1)[-1], ("2025-05-01", "churn", "close", -50.0, 0.0)
        )
        april, may = self.assertIdentity(self._query())[3:]
        self.assertEqual((april["new"], april["churn"], april["mrr"]), (40, 0, 520))
        self.assertEqual((may["churn"], may["mrr"]), (50.0, 470.0))
        self.assertEqual((may["customers_lost"], may["customers_start"]), (1, 7))

    def test_every_change_of_the_recurring_amount_is_logged(self):
        """Lines written, added or emptied, however: one movement per edit."""
        line = self.s5.order_line
        with freeze_time("2025-04-10"):
            line.price_unit = 75.0
            # One save of the order changing its line twice: one movement.
            self.s5.write(
                {
                    "order_line": [
                        Command.update(
                            line.id, {"product_uom_qty": 2, "discount": 10.0}
                        )
                    ]
                }
            )
        with freeze_time("2025-04-12"):
            extra = self.env["sale.order.line"].create(
                {
                    "order_id": self.s5.id,
                    "product_id": self.product_seat.id,
                    "product_uom_qty": 1,
                    "price_unit": 12.0,
                }
            )
        with freeze_time("2025-04-14"):
            extra.product_uom_qty = 0  # a confirmed line is not deleted
        self.assertEqual(
            self._events(self.s5),
            [
                ("2025-02-15", "new", "trial_end", 60.0, 0.0),
                ("2025-04-10", "expansion", "change", 15.0, 0.0),
                ("2025-04-10", "expansion", "change", 60.0, 0.0),
                ("2025-04-12", "expansion", "change", 12.0, 0.0),
                ("2025-04-14", "contraction", "change", -12.0, 0.0),
            ],
        )
        self.assertEqual(self.s5.mrr_event_ids[0].mrr_after, 135.0)
        april = self.assertIdentity(self._query())[3]
        self.assertEqual(
            (april["expansion"], april["contraction"], april["mrr"]),
            (87.0, 12.0, 555.0),
        )

    def test_prices_updated_by_a_pricelist(self):
        """A price of the pricelist changed, then "Update Prices" on a
        subscription not invoiced yet (Odoo keeps invoiced prices): one
        movement."""
        sub = self._kpi_subscription("2025-04-05", self.customers[4], 60.0)
        sub.pricelist_id.item_ids = [
            Command.create(
                {
                    "applied_on": "1_product",
                    "product_tmpl_id": self.product_cloud.product_tmpl_id.id,
                    "compute_price": "fixed",
                    "fixed_price": 45.0,
                }
            )
        ]
        with freeze_time("2025-04-10"):
            sub.action_update_prices()
        self.assertEqual(sub.order_line.price_unit, 45.0)
        self.assertEqual(
            self._events(sub),
            [
                ("2025-04-05", "new", "start", 60.0, 0.0),
                ("2025-04-10", "contraction", "change", -15.0, 0.0),
            ],
        )
        april = self.assertIdentity(self._query())[3]
        self.assertEqual(
            (april["expansion"], april["contraction"], april["mrr"]),
            (60.0, 15.0, 525.0),
        )

    def test_tier_prices_change_the_mrr(self):
        tiered = self._create_product(
            name="Seats (tiered)",
            type="service",
            lst_price=0.0,
            recurring_invoice=True,
            recurring_pricing_model="tiered",
            recurring_tier_ids=[
                Command.create({"up_to": 10, "unit_price": 2.0}),
                Command.create({"up_to": 0, "unit_price": 1.0}),
            ],
            invoice_policy="order",
            company_id=self.company.id,
        )
        self.assertEqual(tiered.currency_id.name, "EUR")
        c5 = self.customers[4]
        order = self.env["sale.order"].create(
            {
                "partner_id": c5.id,
                "sale_order_template_id": self.template_monthly.id,
                "subscription_start_date": "2025-04-01",
                "order_line": [
                    Command.create({"product_id": tiered.id, "product_uom_qty": 15})
                ],
            }
        )
        with freeze_time("2025-04-01"):
            order.action_confirm()
        tiers = tiered.recurring_tier_ids.sorted("up_to_sort")
        with freeze_time("2025-04-05"):
            tiers[0].unit_price = 3.0  # 10 x 3 + 5 x 1 = 35
        with freeze_time("2025-04-08"):
            # Tiers replaced in one save of the product: one movement.
            tiered.write(
                {
                    "recurring_tier_ids": [
                        Command.delete(tiers[-1].id),
                        Command.create({"up_to": 0, "unit_price": 0.5}),
                    ]
                }
            )
        self.assertEqual(
            self._events(order),
            [
                ("2025-04-01", "new", "start", 25.0, 0.0),
                ("2025-04-05", "expansion", "change", 10.0, 0.0),
                ("2025-04-08", "contraction", "change", -2.5, 0.0),
            ],
        )
        april = self.assertIdentity(self._query())[3]
        # c5 already paid: the subscription is an expansion of its customer.
        self.assertEqual((april["expansion"], april["contraction"]), (35.0, 2.5))

    def test_backfill_at_each_movement_rate(self):
        """A subscription that predates the log: its start at the start's
        rate, its close at the close's, the revaluation as FX."""
        with freeze_time("2025-04-10"):
            self.s3.action_subscription_close()
        self.s3.mrr_event_ids.sudo().unlink()
        with freeze_time("2025-04-15"):
            self.assertEqual(self.env["recurring.mrr.event"]._backfill(), 1)
        # 400 USD: 200 EUR at 2.0, 160 EUR at 2.5.
        self.assertEqual(
            self._events(self.s3),
            [
                ("2025-01-15", "new", "backfill", 200.0, 0.0),
                ("2025-04-11", "churn", "backfill", -160.0, -40.0),
            ],
        )
        self.assertIdentity(self._query(companies=self.company.ids))
