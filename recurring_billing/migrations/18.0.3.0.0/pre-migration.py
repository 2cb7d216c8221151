# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""18.0.3.0.0: the unique index on a subscription's period start becomes an
exclusion constraint on its billed range of dates, so that overlapping
periods, not only identical ones, are refused by the database."""

from odoo.addons.recurring_billing.models.account_move import (
    ensure_subscription_period_constraint,
)


def migrate(cr, version):
    if not version:
        return
    ensure_subscription_period_constraint(cr)
