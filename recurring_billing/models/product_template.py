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
