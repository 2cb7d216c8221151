# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models


class RecurringPriceTier(models.Model):
    _name = "recurring.price.tier"
    _description = "Subscription Price Tier"
    _order = "product_tmpl_id, up_to_sort, id"

    product_tmpl_id = fields.Many2one(
        "product.template",
        string="Product",
        required=True,
        ondelete="cascade",
        index=True,
    )
    company_id = fields.Many2one(related="product_tmpl_id.company_id")
    currency_id = fields.Many2one(related="product_tmpl_id.currency_id")
    up_to = fields.Float(
        digits="Product Unit of Measure",
        help="Last quantity of this tier, included. Leave empty on the last tier: "
        "it prices every quantity above the previous one.",
    )
    # Empty "up to" (the open last tier) sorts last.
    up_to_sort = fields.Float(compute="_compute_up_to_sort", store=True)
    unit_price = fields.Float(
        required=True, digits="Product Price", help="Price of one unit in this tier."
    )

    @api.depends("up_to")
    def _compute_up_to_sort(self):
        for tier in self:
            tier.up_to_sort = tier.up_to or 1e18

    @api.constrains("up_to", "unit_price")
    def _check_tiers(self):
        for product in self.product_tmpl_id:
            product._check_recurring_tiers()
