# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models


class PaymentProvider(models.Model):
    _inherit = "payment.provider"

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _is_tokenization_required(self, sale_order_id=None, **kwargs):
        """Override of `payment`: the payment method of a subscription
        quotation paid online, or of a subscription taken on the subscribe
        page, is saved: it pays the next invoices automatically."""
        if kwargs.get("recurring_signup_id"):
            return True
        if sale_order_id:
            order = self.env["sale.order"].sudo().browse(sale_order_id).exists()
            if order.is_subscription:
                return True
        return super()._is_tokenization_required(sale_order_id=sale_order_id, **kwargs)
