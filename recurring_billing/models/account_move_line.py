# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    subscription_period_start = fields.Date(
        string="Service Start", copy=False, readonly=True
    )
    subscription_period_end = fields.Date(
        string="Service End", copy=False, readonly=True
    )
