# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, models
from odoo.exceptions import ValidationError
from odoo.tools import format_amount, format_date, formatLang

from ..tools import prorate, tier_bounds, tiered_split, volume_tier

# Fields of a line that price it: their change may change the order's MRR.
MRR_LINE_FIELDS = frozenset(
    {"product_id", "product_uom", "product_uom_qty", "price_unit", "discount"}
)


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    @api.depends(
        "order_id.is_subscription",
        "order_id.subscription_parent_id",
        "product_id.recurring_invoice",
    )
    def _compute_qty_to_invoice(self):
        """Subscription lines are billed each period by the recurring job, never
        by the one-off "Create Invoice" flow of sales. Change orders bill their
        prorated amounts whatever the product's invoicing policy."""
        res = super()._compute_qty_to_invoice()
        for line in self:
            if line.order_id.is_subscription and line.product_id.recurring_invoice:
                line.qty_to_invoice = 0.0
            elif line.order_id.subscription_parent_id and line.state == "sale":
                line.qty_to_invoice = line.product_uom_qty - line.qty_invoiced
        return res

    def _get_product_price_context(self):
        """Price subscription products at their plan's price, if they have one."""
        res = super()._get_product_price_context()
        if self.order_id.recurring_plan_id and self.product_id.recurring_invoice:
            res = dict(res, recurring_plan_id=self.order_id.recurring_plan_id.id)
        return res

    # ------------------------------------------------------------
    # CONSTRAINT METHODS
    # ------------------------------------------------------------

    @api.constrains("product_uom_qty", "product_id", "order_id")
    def _check_recurring_quantity(self):
        """A subscription line bills its quantity every period: a negative
        one would bill less than nothing, which the periods cannot invoice.
        A discount is a discount, or a line with a negative price."""
        for line in self:
            if (
                line.order_id.is_subscription
                and line.product_id.recurring_invoice
                and line.product_uom_qty < 0
            ):
                raise ValidationError(
                    self.env._(
                        "The quantity of %(product)s on subscription %(order)s "
                        "cannot be negative (%(quantity)s): give a discount, or "
                        "remove the line.",
                        product=line.product_id.display_name,
                        order=line.order_id.name,
                        quantity=self._format_quantity(line.product_uom_qty),
                    )
                )

    # ------------------------------------------------------------
    # CRUD METHODS
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines.order_id._kpi_log_mrr_after_edit()
        return lines

    def write(self, vals):
        res = super().write(vals)
        if MRR_LINE_FIELDS.intersection(vals):
            self.order_id._kpi_log_mrr_after_edit()
        return res

    def unlink(self):
        orders = self.order_id
        res = super().unlink()
        orders.exists()._kpi_log_mrr_after_edit()
        return res

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _get_recurring_tier_prices(self):
        """The product's tiers as ``[(up_to, unit_price)]`` in the order's currency."""
        self.ensure_one()
        order = self.order_id
        product = self.product_id
        return [
            (
                up_to,
                product.currency_id._convert(
                    unit_price,
                    order.currency_id,
                    order.company_id,
                    order.date_order or order.company_id._get_today(),
                    round=False,
                ),
            )
            for up_to, unit_price in product.product_tmpl_id._get_recurring_tiers()
        ]

    def _get_recurring_price_pieces(self, quantity):
        """How ``quantity`` of this line is priced for one whole period.

        :return: ``[(quantity, unit_price, label)]``; ``label`` names the tier
        """
        self.ensure_one()
        model = self.product_id.recurring_pricing_model
        if model == "flat":
            return [(1.0, self.price_unit, "")]
        if model not in ("tiered", "volume"):
            return [(quantity, self.price_unit, "")]
        tiers = self._get_recurring_tier_prices()
        if model == "volume":
            tier = volume_tier(tiers, quantity)
            return [(quantity, tier[2], self._get_tier_label(*tier[:2]))]
        pieces = [
            (inside, unit_price, self._get_tier_label(lower, upper))
            for lower, upper, inside, unit_price in tiered_split(tiers, quantity)
        ]
        return pieces or [(0.0, tier_bounds(tiers)[0][2], "")]

    @api.model
    def _format_quantity(self, quantity):
        """1,000 rather than 1,000.00 for whole quantities."""
        if quantity == int(quantity):
            return formatLang(self.env, quantity, digits=0)
        return formatLang(self.env, quantity, dp="Product Unit of Measure")

    def _get_tier_label(self, lower, upper):
        if upper is None:
            return self.env._("above %(lower)s", lower=self._format_quantity(lower))
        if lower == int(lower) and upper == int(upper):
            # Whole units: the tier above 10 starts at unit 11.
            lower += 1
        return self.env._(
            "%(lower)s to %(upper)s",
            lower=self._format_quantity(lower),
            upper=self._format_quantity(upper),
        )

    def _get_recurring_period_amount(self, quantity):
        """Untaxed price of ``quantity`` for one whole period, before discount,
        rounded by the currency."""
        self.ensure_one()
        currency = self.order_id.currency_id
        if quantity <= 0:
            return 0.0
        return currency.round(
            sum(
                currency.round(qty * unit_price)
                for qty, unit_price, _label in self._get_recurring_price_pieces(
                    quantity
                )
            )
        )

    def _prepare_recurring_invoice_lines(self, period, usage_quantity=0.0):
        """Invoice line values of this subscription line for one billing period.

        :param dict period: ``start``, ``end`` (dates billed), ``full_start``,
            ``full_end`` (the whole period, for proration), ``usage_start`` and
            ``usage_end`` (the days whose usage is billed), ``policy`` (the
            template's proration policy)
        :param float usage_quantity: usage recorded in the usage days, for a
            metered product
        """
        self.ensure_one()
        product = self.product_id
        currency = self.order_id.currency_id
        if product.recurring_usage:
            quantity = max(usage_quantity - product.recurring_usage_included, 0.0)
            dates = (period["usage_start"], period["usage_end"])
            full_days = first_day = last_day = None
        else:
            quantity = self.product_uom_qty
            dates = (period["start"], period["end"])
            full_days = (period["full_end"] - period["full_start"]).days + 1
            first_day = (period["start"] - period["full_start"]).days
            last_day = (period["end"] - period["full_start"]).days
        if quantity <= 0:
            return []
        prorated = full_days is not None and last_day - first_day + 1 < full_days
        if prorated and period["policy"] == "none":
            return []
        if prorated and period["policy"] == "full":
            prorated = False
        vals_list = []
        for qty, unit_price, label in self._get_recurring_price_pieces(quantity):
            if qty <= 0:
                continue
            name = f"{self.name} ({label})" if label else self.name
            optional = {"start_date": dates[0], "end_date": dates[1]}
            if prorated:
                amount = prorate(
                    currency.round(qty * unit_price),
                    full_days,
                    first_day,
                    last_day,
                    currency.round,
                )
                optional.update(
                    quantity=1.0,
                    price_unit=amount,
                    name=self.env._(
                        "%(name)s\n%(quantity)s x %(price)s, prorated: "
                        "%(days)s of %(full_days)s days",
                        name=name,
                        quantity=self._format_quantity(qty),
                        price=format_amount(self.env, unit_price, currency),
                        days=last_day - first_day + 1,
                        full_days=full_days,
                    ),
                )
            else:
                optional.update(quantity=qty, price_unit=unit_price, name=name)
            if product.recurring_usage:
                optional["name"] = self.env._(
                    "%(name)s\nUsage from %(start)s to %(end)s: %(used)s, "
                    "%(included)s included",
                    name=optional["name"],
                    start=format_date(self.env, dates[0]),
                    end=format_date(self.env, dates[1]),
                    used=self._format_quantity(usage_quantity),
                    included=self._format_quantity(product.recurring_usage_included),
                )
            vals_list.append(self._prepare_invoice_line(**optional))
        return vals_list
