# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from .common import RecurringBillingCommon


@tagged("post_install", "-at_install")
class TestSimulation(RecurringBillingCommon):
    def test_simulation_shows_the_future_and_keeps_nothing(self):
        monthly = self._create_subscription("2025-01-15")
        fixed = self.template_monthly.copy(
            {"term_type": "fixed", "term_duration": 2, "auto_renew": False}
        )
        short = self._create_subscription("2025-01-01", template=fixed)
        invoice_count = self.env["account.move"].search_count([])
        simulation = self.env["recurring.simulation"].create(
            {
                "date_until": "2025-04-15",
                "subscription_ids": [(6, 0, (monthly + short).ids)],
            }
        )
        # Run on 1 January: each invoice is dated the day the job would issue
        # it, the day its period is due.
        with freeze_time("2025-01-01"):
            simulation.action_simulate()

        invoices = simulation.line_ids.filtered(
            lambda line: line.line_type == "invoice"
        )
        self.assertEqual(
            [
                (line.subscription_id, line.invoice_date, line.period_end)
                for line in invoices.sorted(
                    lambda row: (row.subscription_id.id, row.invoice_date)
                )
            ],
            [
                (monthly, date(2025, 1, 15), date(2025, 2, 14)),
                (monthly, date(2025, 2, 15), date(2025, 3, 14)),
                (monthly, date(2025, 3, 15), date(2025, 4, 14)),
                (monthly, date(2025, 4, 15), date(2025, 5, 14)),
                (short, date(2025, 1, 1), date(2025, 1, 31)),
                (short, date(2025, 2, 1), date(2025, 2, 28)),
            ],
        )
        self.assertEqual(simulation.invoice_count, 6)
        self.assertAlmostEqual(simulation.amount_untaxed, 6 * 66.0, places=2)
        self.assertAlmostEqual(simulation.amount_total, 6 * 79.2, places=2)
        closed = simulation.line_ids.filtered(lambda line: line.line_type == "state")
        self.assertEqual(closed.subscription_id, short)
        self.assertEqual(closed.note, "Closed")
        # Nothing was kept.
        self.assertEqual(self.env["account.move"].search_count([]), invoice_count)
        self.assertEqual(monthly.next_invoice_date, date(2025, 1, 15))
        self.assertEqual(short.subscription_state, "active")
        self.assertFalse(monthly.subscription_invoice_ids)

    def test_simulation_is_for_administrators(self):
        salesman = new_test_user(
            self.env,
            login="simulating_salesman",
            groups="sales_team.group_sale_salesman",
            company_id=self.company.id,
        )
        simulation = self.env["recurring.simulation"].create(
            {"date_until": "2025-04-15"}
        )
        with self.assertRaises(UserError):
            simulation.with_user(salesman).action_simulate()

    def test_wizards_default_to_the_company_today(self):
        """At 23:30 UTC on 1 March it is already 2 March in Paris, the
        company's time zone, and still 1 March for a user in New York: the
        Change and Simulation wizards, and a usage, default to 2 March."""
        self.company.partner_id.tz = "Europe/Paris"
        user = self._create_role_user(
            "sales_admin", "rb_tz_sales_admin", tz="America/New_York"
        )
        sub = self._create_subscription("2025-01-01")
        with freeze_time("2025-03-01 23:30:00"):
            change = (
                self.env["recurring.change"]
                .with_user(user)
                .with_context(active_id=sub.id, active_model="sale.order")
                .create({})
            )
            simulation = self.env["recurring.simulation"].with_user(user).create({})
            usage_date = (
                self.env["recurring.usage"]
                .with_user(user)
                .default_get(["date"])["date"]
            )
        self.assertEqual(change.subscription_id, sub)
        self.assertEqual(change.change_date, date(2025, 3, 2))
        self.assertEqual(simulation.date_until, date(2025, 3, 2))
        self.assertEqual(usage_date, date(2025, 3, 2))
