# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.exceptions import UserError


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

    @api.model_create_multi
    def create(self, vals_list):
        tiers = super().create(vals_list)
        tiers.product_tmpl_id._kpi_log_mrr_of_subscriptions()
        return tiers

    def write(self, vals):
        res = super().write(vals)
        self.product_tmpl_id._kpi_log_mrr_of_subscriptions()
        return res

    def unlink(self):
        products = self.product_tmpl_id
        res = super().unlink()
        products.exists()._kpi_log_mrr_of_subscriptions()
        return res

    @api.ondelete(at_uninstall=False)
    def _unlink_except_last_open_tier(self):
        """The open tier prices every quantity above the others: a tiered
        product without it would bill nothing for them. Replacing it in one
        save of the product is checked by the product itself."""
        if self.env.context.get("recurring_tiers_checked_by_product"):
            return
        for product in self.product_tmpl_id:
            if product.recurring_pricing_model not in ("tiered", "volume"):
                continue
            remaining = product.recurring_tier_ids - self
            if not remaining:
                raise UserError(
                    self.env._(
                        "%(product)s is priced by tiers: its last tier cannot be "
                        "deleted. Change its pricing model first.",
                        product=product.display_name,
                    )
                )
            if all(tier.up_to for tier in remaining):
                last = max(remaining.mapped("up_to"))
                raise UserError(
                    self.env._(
                        "The open tier of %(product)s cannot be deleted: "
                        "quantities above %(last)s would no longer be priced. "
                        "Give it an upper quantity, or leave the upper quantity "
                        "of the tier below empty, in the same change.",
                        product=product.display_name,
                        last=last,
                    )
                )
