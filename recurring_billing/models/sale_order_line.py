# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, models


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    @api.depends("order_id.is_subscription", "product_id.recurring_invoice")
    def _compute_qty_to_invoice(self):
        """Subscription lines are billed each period by the recurring job, never
        by the one-off "Create Invoice" flow of sales."""
        res = super()._compute_qty_to_invoice()
        for line in self:
            if line.order_id.is_subscription and line.product_id.recurring_invoice:
                line.qty_to_invoice = 0.0
        return res

    def _get_product_price_context(self):
        """Price subscription products at their plan's price, if they have one."""
        res = super()._get_product_price_context()
        if self.order_id.recurring_plan_id and self.product_id.recurring_invoice:
            res = dict(res, recurring_plan_id=self.order_id.recurring_plan_id.id)
        return res
