# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import Command, api, fields, models
from odoo.exceptions import UserError


class RecurringChange(models.TransientModel):
    """Change the quantities or add-ons of a running subscription, with the
    prorated amount shown before it is applied."""

    _name = "recurring.change"
    _description = "Subscription Change"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    subscription_id = fields.Many2one(
        "sale.order", required=True, readonly=True, ondelete="cascade"
    )
    currency_id = fields.Many2one(related="subscription_id.currency_id")
    change_date = fields.Date(
        string="Effective Date",
        required=True,
        default=lambda self: self.env.company._get_today(),
    )
    line_ids = fields.One2many("recurring.change.line", "change_id", string="Products")
    amount_untaxed = fields.Monetary(compute="_compute_preview", string="Untaxed")
    amount_tax = fields.Monetary(compute="_compute_preview", string="Taxes")
    amount_total = fields.Monetary(compute="_compute_preview", string="Total")
    preview_note = fields.Char(compute="_compute_preview")

    # ------------------------------------------------------------
    # DEFAULT METHODS
    # ------------------------------------------------------------

    @api.model
    def default_get(self, fields_list):
        res = super().default_get(fields_list)
        subscription = self.env["sale.order"].browse(
            res.get("subscription_id") or self.env.context.get("active_id")
        )
        if not subscription or "line_ids" not in fields_list:
            return res
        res["subscription_id"] = subscription.id
        if "change_date" in fields_list:
            # The subscription's company's today, whoever opens the wizard.
            res["change_date"] = subscription.company_id._get_today()
        lines = subscription._get_recurring_lines().filtered(
            lambda line: not line.product_id.recurring_usage
        )
        products = lines.product_id | subscription._get_addon_products()
        res["line_ids"] = []
        for product in products:
            quantity = sum(
                lines.filtered(
                    lambda line, product=product: line.product_id == product
                ).mapped("product_uom_qty")
            )
            res["line_ids"].append(
                Command.create(
                    {
                        "product_id": product.id,
                        "current_quantity": quantity,
                        "new_quantity": quantity,
                    }
                )
            )
        return res

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    @api.depends("change_date", "line_ids.new_quantity")
    def _compute_preview(self):
        for wizard in self:
            wizard.amount_untaxed = wizard.amount_tax = wizard.amount_total = 0.0
            wizard.preview_note = False
            quantities = wizard._get_quantities()
            if not quantities or not wizard.subscription_id:
                continue
            try:
                preview = wizard.subscription_id._preview_subscription_change(
                    quantities, wizard.change_date
                )
            except UserError as error:
                wizard.preview_note = error.args[0]
                continue
            wizard.amount_untaxed = preview["amount_untaxed"]
            wizard.amount_tax = preview["amount_tax"]
            wizard.amount_total = preview["amount_total"]
            wizard.preview_note = wizard._get_preview_note(preview)

    def _get_preview_note(self, preview):
        currency = preview["currency"]
        if currency.is_zero(preview["amount_total"]):
            return self.env._("Nothing to bill or credit for this period.")
        if not preview["billed"]:
            return self.env._("Adjusted on the next invoice of the subscription.")
        if preview["amount_total"] < 0:
            return self.env._("Credited now by a credit note.")
        if self.subscription_id.sale_order_template_id.upsell_billing == "next_invoice":
            return self.env._("Billed on the next invoice of the subscription.")
        return self.env._("Invoiced now.")

    # ------------------------------------------------------------
    # ACTION METHODS
    # ------------------------------------------------------------

    def action_apply(self):
        self.ensure_one()
        quantities = self._get_quantities()
        if not quantities:
            raise UserError(self.env._("Change at least one quantity."))
        change_order = self.subscription_id._subscription_change(
            quantities, self.change_date
        )
        if not change_order:
            return {"type": "ir.actions.act_window_close"}
        return {
            "type": "ir.actions.act_window",
            "res_model": "sale.order",
            "res_id": change_order.id,
            "view_mode": "form",
        }

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _get_quantities(self):
        self.ensure_one()
        return {
            line.product_id: line.new_quantity
            for line in self.line_ids
            if line.product_id and line.new_quantity != line.current_quantity
        }
