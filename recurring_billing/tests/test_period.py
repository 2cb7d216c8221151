# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date

from odoo.exceptions import ValidationError
from odoo.tests import TransactionCase, tagged

from ..tools import anchor_day_of, next_boundary, previous_boundary


@tagged("post_install", "-at_install")
class TestPeriodArithmetic(TransactionCase):
    def test_month_end_clamps_and_comes_back(self):
        """31 Jan + 1 month is the last day of February, then 31 March again."""
        anchor = anchor_day_of(date(2025, 1, 31))
        self.assertEqual(anchor, 31)
        self.assertEqual(
            next_boundary(date(2025, 1, 31), 1, "month", anchor), date(2025, 2, 28)
        )
        self.assertEqual(
            next_boundary(date(2024, 1, 31), 1, "month", anchor), date(2024, 2, 29)
        )
        self.assertEqual(
            next_boundary(date(2025, 2, 28), 1, "month", anchor), date(2025, 3, 31)
        )
        self.assertEqual(
            next_boundary(date(2025, 3, 31), 1, "month", anchor), date(2025, 4, 30)
        )

    def test_end_of_month_anchor_stays_at_end_of_month(self):
        """Started on 30 April, its last day: periods start on each month's last day."""
        anchor = anchor_day_of(date(2025, 4, 30))
        self.assertEqual(anchor, 31)
        self.assertEqual(
            next_boundary(date(2025, 4, 30), 1, "month", anchor), date(2025, 5, 31)
        )
        # A 30th that is not a month end stays on the 30th.
        self.assertEqual(anchor_day_of(date(2025, 5, 30)), 30)
        self.assertEqual(
            next_boundary(date(2025, 2, 28), 1, "month", 30), date(2025, 3, 30)
        )

    def test_previous_boundary_is_the_inverse(self):
        for day, anchor in (
            (date(2025, 3, 31), 31),
            (date(2024, 2, 29), 31),
            (date(2025, 7, 15), 15),
        ):
            previous = previous_boundary(day, 1, "month", anchor)
            self.assertEqual(next_boundary(previous, 1, "month", anchor), day)

    def test_other_units(self):
        self.assertEqual(next_boundary(date(2025, 1, 1), 10, "day"), date(2025, 1, 11))
        self.assertEqual(next_boundary(date(2025, 1, 1), 2, "week"), date(2025, 1, 15))
        self.assertEqual(
            next_boundary(date(2024, 2, 29), 1, "year", 31), date(2025, 2, 28)
        )
        self.assertEqual(
            next_boundary(date(2025, 2, 28), 1, "year", 31), date(2026, 2, 28)
        )
        self.assertEqual(
            next_boundary(date(2025, 1, 15), 3, "month", 15), date(2025, 4, 15)
        )

    def test_calendar_alignment(self):
        """Calendar periods start on Mondays, on the 1st of quarters, on 1 January."""
        self.assertEqual(
            next_boundary(date(2025, 2, 14), 1, "month", calendar_aligned=True),
            date(2025, 3, 1),
        )
        self.assertEqual(
            next_boundary(date(2025, 2, 14), 3, "month", calendar_aligned=True),
            date(2025, 4, 1),
        )
        self.assertEqual(
            next_boundary(date(2025, 12, 14), 3, "month", calendar_aligned=True),
            date(2026, 1, 1),
        )
        self.assertEqual(
            next_boundary(date(2025, 6, 14), 1, "year", calendar_aligned=True),
            date(2026, 1, 1),
        )
        # 2025-02-14 is a Friday; the next Monday is the 17th.
        self.assertEqual(
            next_boundary(date(2025, 2, 14), 1, "week", calendar_aligned=True),
            date(2025, 2, 17),
        )
        self.assertEqual(
            previous_boundary(date(2025, 4, 1), 3, "month", calendar_aligned=True),
            date(2025, 1, 1),
        )

    def test_plan_refuses_non_positive_interval(self):
        Plan = self.env["recurring.plan"]
        for value in (0, -1):
            with (
                self.subTest(value=value),
                self.assertRaisesRegex(ValidationError, "at least one"),
                self.cr.savepoint(),
            ):
                Plan.create(
                    {
                        "name": "Broken",
                        "billing_period_value": value,
                        "billing_period_unit": "month",
                    }
                )
                self.env.flush_all()
            self.assertFalse(Plan.search_count([("name", "=", "Broken")]))
        plan = Plan.create(
            {
                "name": "Every 2 weeks",
                "billing_period_value": 2,
                "billing_period_unit": "week",
            }
        )
        self.assertEqual(plan._next_boundary(date(2025, 1, 1)), date(2025, 1, 15))
        self.assertEqual(plan.billing_period_display, "Every 2 weeks")
        plan.billing_period_value = 1
        self.assertEqual(plan.billing_period_display, "Every week")
        with self.assertRaises(ValidationError):
            plan.billing_period_value = 0
            plan.flush_recordset()
        plan.invalidate_recordset()
        self.assertEqual(plan.billing_period_value, 1)
        self.assertEqual(plan.billing_period_display, "Every week")
