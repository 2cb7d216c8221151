# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.exceptions import ValidationError


class RecurringTemplateLine(models.Model):
    _name = "recurring.template.line"
    _description = "Subscription Template Line"
    _order = "template_id, sequence, id"

    template_id = fields.Many2one(
        "recurring.template", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="template_id.company_id")
    sequence = fields.Integer(default=10)
    product_id = fields.Many2one(
        "product.product",
        required=True,
        check_company=True,
        domain="[('sale_ok', '=', True)]",
    )
    name = fields.Text(string="Description")
    product_uom_qty = fields.Float(
        string="Quantity", default=1.0, digits="Product Unit of Measure"
    )

    @api.constrains("product_uom_qty")
    def _check_product_uom_qty(self):
        if any(line.product_uom_qty < 0 for line in self):
            raise ValidationError(
                self.env._(
                    "A subscription template line cannot have a negative quantity."
                )
            )

    def _prepare_order_line_vals(self):
        self.ensure_one()
        vals = {
            "product_id": self.product_id.id,
            "product_uom_qty": self.product_uom_qty,
            "sequence": self.sequence,
        }
        if self.name:
            vals["name"] = self.name
        return vals
