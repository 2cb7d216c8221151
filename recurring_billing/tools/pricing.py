# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Price arithmetic, free of any ORM access.

``round_amount`` is the currency's rounding (``currency.round``): every amount
returned here is already rounded by it, so the invoice shows what was computed.
"""


def prorate(amount, full_days, first_day, last_day, round_amount):
    """Part of ``amount`` (the price of a whole period of ``full_days`` days)
    for days ``first_day`` to ``last_day`` of the period, counted from 0.

    Each part is the difference of two rounded cumulative amounts, so the parts
    of any split of a period add up to the rounded full amount exactly: nothing
    is lost or gained to rounding, whatever the split.
    """
    if full_days <= 0 or last_day < first_day:
        return round_amount(0.0)
    first_day = max(first_day, 0)
    last_day = min(last_day, full_days - 1)

    def cumulated(days):
        return round_amount(amount * days / full_days)

    return round_amount(cumulated(last_day + 1) - cumulated(first_day))


def tier_bounds(tiers):
    """``[(lower, upper, unit_price)]`` from ``[(up_to, unit_price)]`` sorted by
    ``up_to``; the last tier has no ``up_to`` (``None`` or 0) and no upper bound."""
    bounds = []
    lower = 0.0
    for up_to, unit_price in tiers:
        upper = up_to or None
        bounds.append((lower, upper, unit_price))
        if upper is None:
            break
        lower = upper
    return bounds


def tiered_split(tiers, quantity):
    """Graduated pricing: each tier prices only the units inside it.

    :return: ``[(lower, upper, quantity_in_tier, unit_price)]`` for the tiers
        the quantity reaches
    """
    parts = []
    for lower, upper, unit_price in tier_bounds(tiers):
        if quantity <= lower:
            break
        inside = (min(quantity, upper) if upper is not None else quantity) - lower
        parts.append((lower, upper, inside, unit_price))
    return parts


def volume_tier(tiers, quantity):
    """Volume pricing: the tier the quantity reaches prices every unit.

    :return: ``(lower, upper, unit_price)`` of that tier, or ``None`` without tiers
    """
    reached = None
    for lower, upper, unit_price in tier_bounds(tiers):
        reached = (lower, upper, unit_price)
        if upper is None or quantity <= upper:
            break
    return reached
