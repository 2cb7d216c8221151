# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class RecurringChangeLine(models.TransientModel):
    _name = "recurring.change.line"
    _description = "Subscription Change Line"

    change_id = fields.Many2one("recurring.change", required=True, ondelete="cascade")
    product_id = fields.Many2one(
        "product.product",
        required=True,
        domain="[('recurring_invoice', '=', True), ('recurring_usage', '=', False)]",
    )
    current_quantity = fields.Float(readonly=True, digits="Product Unit of Measure")
    new_quantity = fields.Float(digits="Product Unit of Measure")
