# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Billing-period arithmetic, free of any ORM access.

A period is anchored on a day of the month: adding months keeps that day when
the month has it and clamps to the month's last day otherwise, so 31 January
+ 1 month is 28 (or 29) February and + 2 months is 31 March again. An anchor
of 31 therefore means "end of month" and stays there.

A period lasts the plan's interval of units, whatever the alignment.
Calendar-aligned periods start on the same days for every subscription:
every ``interval`` weeks a Monday, counted from Monday 1 January of year 1
(so every two weeks means every other Monday, the same ones for all); every
``interval`` months the 1st of a month whose index (year x 12 + month - 1) is
a multiple of the interval (quarters start in January, April, July and
October); every ``interval`` years the 1 January of a year that is a multiple
of it. Days have no calendar: a plan in days counts from its start either way.
"""

import calendar
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

UNITS = ("day", "week", "month", "year")


def anchor_day_of(day):
    """Anchor day of the month for ``day``: its day, or 31 at the end of a month."""
    last = calendar.monthrange(day.year, day.month)[1]
    return 31 if day.day == last else day.day


def _step(interval, unit, anchor_day):
    if unit == "day":
        return relativedelta(days=interval)
    if unit == "week":
        return relativedelta(weeks=interval)
    if unit == "month":
        return relativedelta(months=interval, day=anchor_day)
    if unit == "year":
        return relativedelta(years=interval, day=anchor_day)
    raise ValueError(f"Unknown billing period unit {unit!r}")


def next_boundary(day, interval, unit, anchor_day=None, calendar_aligned=False):
    """First period boundary strictly after ``day``.

    Anniversary alignment: ``day`` + one period, kept on ``anchor_day``.
    Calendar alignment: the next start of a calendar period (Monday, the 1st
    of a month whose index is a multiple of the interval, 1 January), every
    ``interval`` units (see the module's docstring).
    """
    if not calendar_aligned or unit == "day":
        return day + _step(interval, unit, anchor_day or anchor_day_of(day))
    if unit == "week":
        # date.fromordinal(1), 1 January of year 1, is a Monday.
        week_index = (day.toordinal() - 1) // 7
        return date.fromordinal((week_index // interval + 1) * interval * 7 + 1)
    if unit == "month":
        month_index = day.year * 12 + day.month - 1
        next_index = (month_index // interval + 1) * interval
        return day.replace(year=next_index // 12, month=next_index % 12 + 1, day=1)
    # year
    return day.replace(year=(day.year // interval + 1) * interval, month=1, day=1)


def previous_boundary(day, interval, unit, anchor_day=None, calendar_aligned=False):
    """Period boundary one period before the boundary ``day``."""
    if not calendar_aligned or unit == "day":
        return day - _step(interval, unit, anchor_day or anchor_day_of(day))
    if unit == "week":
        return day - timedelta(weeks=interval)
    if unit == "month":
        return day - relativedelta(months=interval, day=1)
    return day - relativedelta(years=interval, month=1, day=1)
