# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import RecurringBillingCommon
from .kpi_common import RecurringKpiCommon


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
