# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from odoo.exceptions import ValidationError
from odoo.tests import TransactionCase, tagged

from ..tools import anchor_day_of, next_boundary, previous_boundary
from ..tools.period import UNITS

INTERVALS = (1, 2, 3, 4, 5, 6, 12)
# Every day of more than a year, leap day and month ends included.
DAYS = [date(2023, 12, 1) + timedelta(days=n) for n in range(500)]


def _one_period(unit, interval, anchor=None):
    """What one period of ``interval`` units adds to a day."""
    if unit == "day":
        return relativedelta(days=interval)
    if unit == "week":
        return relativedelta(weeks=interval)
    if unit == "month":
        return relativedelta(months=interval, day=anchor or 1)
    return relativedelta(years=interval, day=anchor or 1)


def _is_calendar_start(day, unit, interval):
    """Whether ``day`` starts a calendar period of ``interval`` units."""
    if unit == "week":
        return day.weekday() == 0 and ((day.toordinal() - 1) // 7) % interval == 0
    if unit == "month":
        return day.day == 1 and (day.year * 12 + day.month - 1) % interval == 0
    if unit == "year":
        return (day.month, day.day) == (1, 1) and day.year % interval == 0
    return True


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


@tagged("post_install", "-at_install")
class TestPeriodProperties(TransactionCase):
    """Every unit x interval x alignment, over every day of more than a year:
    a period lasts the plan's interval, and calendar periods start on the
    same days for every subscription."""

    def test_anniversary_periods_last_the_interval(self):
        for unit in UNITS:
            for interval in INTERVALS:
                with self.subTest(unit=unit, interval=interval):
                    for start in DAYS:
                        anchor = anchor_day_of(start)
                        boundary = start
                        for count in range(1, 4):
                            following = next_boundary(boundary, interval, unit, anchor)
                            self.assertEqual(
                                following,
                                start + _one_period(unit, interval * count, anchor),
                                (start, count),
                            )
                            self.assertEqual(
                                previous_boundary(following, interval, unit, anchor),
                                boundary,
                            )
                            boundary = following

    def test_calendar_periods_last_the_interval_and_are_shared(self):
        for unit in UNITS:
            for interval in INTERVALS:
                with self.subTest(unit=unit, interval=interval):
                    for day in DAYS:
                        following = next_boundary(
                            day, interval, unit, calendar_aligned=True
                        )
                        self.assertGreater(following, day)
                        if unit == "day":
                            # No calendar of days: from the day itself.
                            self.assertEqual(following, day + timedelta(interval))
                            continue
                        self.assertTrue(
                            _is_calendar_start(following, unit, interval), following
                        )
                        start = previous_boundary(
                            following, interval, unit, calendar_aligned=True
                        )
                        self.assertTrue(_is_calendar_start(start, unit, interval))
                        # The period containing the day lasts the interval...
                        self.assertLessEqual(start, day)
                        self.assertEqual(following, start + _one_period(unit, interval))
                        # ...and every day of it has the same next start.
                        self.assertEqual(
                            next_boundary(start, interval, unit, calendar_aligned=True),
                            following,
                        )

    def test_every_two_weeks_calendar_aligned(self):
        """Every two weeks from Friday 14 February 2025: Monday 17 February,
        then every other Monday (not every Monday)."""
        day = date(2025, 2, 14)
        starts = []
        for _count in range(3):
            day = next_boundary(day, 2, "week", calendar_aligned=True)
            starts.append(day)
        self.assertEqual(
            starts, [date(2025, 2, 17), date(2025, 3, 3), date(2025, 3, 17)]
        )
        self.assertEqual(
            previous_boundary(date(2025, 3, 3), 2, "week", calendar_aligned=True),
            date(2025, 2, 17),
        )
