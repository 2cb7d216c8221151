# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class ProductTemplate(models.Model):
    _inherit = "product.template"

    recurring_invoice = fields.Boolean(
        string="Subscription Product",
        help="Invoiced every billing period of the subscriptions that hold it, "
        "instead of once.",
    )
    recurring_price_ids = fields.One2many(
        "recurring.product.price",
        "product_tmpl_id",
        string="Prices per Plan",
        help="Sales price on a given plan, instead of the sales price; "
        "pricelist rules apply on top of it.",
    )
