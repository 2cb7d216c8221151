# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class SaleOrderTemplate(models.Model):
    _inherit = "sale.order.template"

    dunning_allow_pause = fields.Boolean(
        string="Offer a Pause When Unpaid",
        help="The dunning may offer the subscribers of this template to pause "
        "their subscription instead of leaving (a one-click link in the email).",
    )
