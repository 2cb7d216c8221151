# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from psycopg2 import errors as pg_errors

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import mute_logger


class RecurringProductPrice(models.Model):
    """The sales price of a subscription product on a given plan: a yearly
    price need not be twelve monthly ones."""

    _name = "recurring.product.price"
    _description = "Subscription Product Price per Plan"
    _order = "product_tmpl_id, plan_id, id"
    _check_company_auto = True

    product_tmpl_id = fields.Many2one(
        "product.template",
        string="Product",
        required=True,
        ondelete="cascade",
        index=True,
        check_company=True,
    )
    plan_id = fields.Many2one(
        "recurring.plan", required=True, ondelete="cascade", check_company=True
    )
    company_id = fields.Many2one("res.company", index=True)
    currency_id = fields.Many2one(
        "res.currency",
        required=True,
        default=lambda self: self.env.company.currency_id,
    )
    price = fields.Monetary(required=True)

    def init(self):
        res = super().init()
        # One price per product, plan and company, "no company" included
        # (portable to PostgreSQL < 15, which lacks NULLS NOT DISTINCT).
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS recurring_product_price_uniq
                ON recurring_product_price
                   (product_tmpl_id, plan_id, COALESCE(company_id, 0))
            """
        )
        return res

    @api.model_create_multi
    def create(self, vals_list):
        try:
            with self.env.cr.savepoint(), mute_logger("odoo.sql_db"):
                prices = super().create(vals_list)
                prices.flush_recordset()
        except pg_errors.UniqueViolation as error:
            raise self._get_duplicate_price_error(error) from None
        return prices

    def write(self, vals):
        try:
            with self.env.cr.savepoint(), mute_logger("odoo.sql_db"):
                res = super().write(vals)
                self.flush_recordset()
        except pg_errors.UniqueViolation as error:
            raise self._get_duplicate_price_error(error) from None
        return res

    def _get_duplicate_price_error(self, error):
        """The database's refusal of a second price for a product and plan
        (typed twice, or saved by two users at once), as a clear message;
        the first price stays. Any other refusal as it is."""
        if error.diag.constraint_name != "recurring_product_price_uniq":
            return error
        return ValidationError(
            self.env._(
                "This product already has a price on this plan (for this "
                "company): change that price instead of adding another one."
            )
        )

    @api.constrains("price")
    def _check_price(self):
        if any(line.price < 0 for line in self):
            raise ValidationError(self.env._("A plan price cannot be negative."))

    @api.model
    def _get_plan_prices(self, templates, plan, company):
        """{product.template: recurring.product.price} for ``plan``; a price of
        ``company`` wins over a price shared by all companies."""
        prices = self.search(
            [
                ("product_tmpl_id", "in", templates.ids),
                ("plan_id", "=", plan.id),
                ("company_id", "in", [company.id, False]),
            ],
            order="company_id",  # company-specific first (NULLS LAST)
        )
        result = {}
        for price in prices:
            result.setdefault(price.product_tmpl_id, price)
        return result
