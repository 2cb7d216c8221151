# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.exceptions import ValidationError

# Fields of a product that price its subscription lines.
MRR_PRODUCT_FIELDS = frozenset(
    {
        "recurring_invoice",
        "recurring_pricing_model",
        "recurring_tier_ids",
        "recurring_usage",
    }
)


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
    recurring_pricing_model = fields.Selection(
        [
            ("flat", "Flat fee"),
            ("per_unit", "Per unit"),
            ("tiered", "Tiered (graduated)"),
            ("volume", "Volume"),
        ],
        string="Pricing Model",
        default="per_unit",
        required=True,
        help="Flat fee: one price per period, whatever the quantity.\n"
        "Per unit: quantity x unit price.\n"
        "Tiered: each tier prices only the units inside it.\n"
        "Volume: the tier reached prices all the units.",
    )
    recurring_tier_ids = fields.One2many(
        "recurring.price.tier", "product_tmpl_id", string="Price Tiers", copy=True
    )
    recurring_usage = fields.Boolean(
        string="Metered (Usage-Based)",
        help="Billed in arrears on the usage recorded in each period, instead of "
        "the quantity on the subscription.",
    )
    recurring_usage_included = fields.Float(
        string="Included per Period",
        digits="Product Unit of Measure",
        help="Usage included in the subscription each period; only what exceeds it "
        "is billed.",
    )

    @api.constrains(
        "recurring_pricing_model",
        "recurring_usage",
        "recurring_usage_included",
        "recurring_tier_ids",
    )
    def _check_recurring_pricing(self):
        for product in self:
            if product.recurring_usage and product.recurring_pricing_model == "flat":
                raise ValidationError(
                    self.env._(
                        "The metered product %(product)s cannot have a flat fee: "
                        "choose per unit, tiered or volume pricing.",
                        product=product.display_name,
                    )
                )
            if product.recurring_usage_included < 0:
                raise ValidationError(
                    self.env._(
                        "The usage included per period of %(product)s cannot be "
                        "negative.",
                        product=product.display_name,
                    )
                )
            product._check_recurring_tiers()

    def write(self, vals):
        records = self
        if "recurring_tier_ids" in vals:
            # Tiers replaced in one save are checked together, after it.
            records = self.with_context(recurring_tiers_checked_by_product=True)
        if not MRR_PRODUCT_FIELDS.intersection(vals):
            return super(ProductTemplate, records).write(vals)
        # Tiers replaced in one save change the MRR once, after it.
        res = super(
            ProductTemplate, records.with_context(recurring_kpi_no_log=True)
        ).write(vals)
        self._kpi_log_mrr_of_subscriptions()
        return res

    def _kpi_log_mrr_of_subscriptions(self):
        """Log the change of MRR of the running subscriptions of these
        products, after a change of how they are priced."""
        if not self or self.env.context.get("recurring_kpi_no_log"):
            return self.env["recurring.mrr.event"]
        orders = (
            self.env["sale.order.line"]
            .sudo()
            .search(
                [
                    ("product_id.product_tmpl_id", "in", self.ids),
                    ("order_id.is_subscription", "=", True),
                    ("state", "=", "sale"),
                ]
            )
            .order_id
        )
        return orders._kpi_log_mrr_after_edit()

    def _check_recurring_tiers(self):
        """Tiers must increase strictly, end with one open tier, and cost
        something or nothing, never less than nothing."""
        self.ensure_one()
        tiers = self.recurring_tier_ids.sorted("up_to_sort")
        if self.recurring_pricing_model in ("tiered", "volume") and not tiers:
            raise ValidationError(
                self.env._(
                    "%(product)s is priced by tiers: give it at least one tier.",
                    product=self.display_name,
                )
            )
        previous = 0.0
        for index, tier in enumerate(tiers):
            if tier.unit_price < 0:
                raise ValidationError(
                    self.env._(
                        "The tier prices of %(product)s cannot be negative.",
                        product=self.display_name,
                    )
                )
            if not tier.up_to:
                if index != len(tiers) - 1:
                    raise ValidationError(
                        self.env._(
                            "%(product)s has more than one open-ended tier: only "
                            "the last tier may have no upper quantity.",
                            product=self.display_name,
                        )
                    )
                continue
            if tier.up_to <= previous:
                raise ValidationError(
                    self.env._(
                        "The tiers of %(product)s overlap or do not increase: "
                        "each tier must end above the previous one (%(previous)s).",
                        product=self.display_name,
                        previous=previous,
                    )
                )
            previous = tier.up_to
        if tiers and tiers[-1].up_to:
            raise ValidationError(
                self.env._(
                    "The last tier of %(product)s must be open-ended: leave its "
                    "upper quantity empty.",
                    product=self.display_name,
                )
            )

    def _get_recurring_tiers(self):
        """``[(up_to, unit_price)]`` in the product's currency, lowest first."""
        self.ensure_one()
        return [
            (tier.up_to, tier.unit_price)
            for tier in self.recurring_tier_ids.sorted("up_to_sort")
        ]
