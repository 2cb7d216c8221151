# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, models
from odoo.exceptions import ValidationError


class SaleOrderTemplateLine(models.Model):
    _inherit = "sale.order.template.line"

    # ------------------------------------------------------------
    # CONSTRAINT METHODS
    # ------------------------------------------------------------

    @api.constrains("product_uom_qty")
    def _check_subscription_quantity(self):
        for line in self:
            if line.sale_order_template_id.plan_id and line.product_uom_qty < 0:
                raise ValidationError(
                    self.env._(
                        "Template %(template)s: a subscription line cannot have a "
                        "negative quantity.",
                        template=line.sale_order_template_id.name,
                    )
                )
