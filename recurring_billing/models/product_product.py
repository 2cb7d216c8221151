# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models


class ProductProduct(models.Model):
    _inherit = "product.product"

    def _price_compute(
        self, price_type, uom=None, currency=None, company=None, date=False
    ):
        """With ``recurring_plan_id`` in the context, the sales price of a
        product that has a price on that plan is the plan price."""
        prices = super()._price_compute(
            price_type, uom=uom, currency=currency, company=company, date=date
        )
        plan_id = self.env.context.get("recurring_plan_id")
        if price_type != "list_price" or not plan_id:
            return prices
        company = company or self.env.company
        plan_prices = self.env["recurring.product.price"]._get_plan_prices(
            self.product_tmpl_id, self.env["recurring.plan"].browse(plan_id), company
        )
        for product in self:
            plan_price = plan_prices.get(product.product_tmpl_id)
            if not plan_price:
                continue
            price = plan_price.price + product._get_attributes_extra_price()
            if uom:
                price = product.uom_id._compute_price(price, uom)
            if currency:
                price = plan_price.currency_id._convert(
                    price, currency, company, date or company._get_today()
                )
            prices[product.id] = price
        return prices
