# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models

from ..models.recurring_einvoice_status import EINVOICE_STATUSES, STATUS_COLLECTED


class RecurringEinvoiceStatusRecord(models.TransientModel):
    """Record by hand a status that came another way than through a
    connector (the buyer refused the invoice by letter...)."""

    _name = "recurring.einvoice.status.record"
    _description = "Record an E-Invoice Status"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    move_id = fields.Many2one("account.move", string="Invoice", required=True)
    currency_id = fields.Many2one(related="move_id.currency_id")
    code = fields.Selection(EINVOICE_STATUSES, string="Status", required=True)
    date = fields.Date(required=True, default=fields.Date.context_today)
    amount = fields.Monetary(string="Amount Collected")
    message = fields.Text()

    # ------------------------------------------------------------
    # DEFAULT METHODS
    # ------------------------------------------------------------

    @api.model
    def default_get(self, fields_list):
        res = super().default_get(fields_list)
        if self.env.context.get("active_model") == "account.move":
            res.setdefault("move_id", self.env.context.get("active_id"))
        return res

    # ------------------------------------------------------------
    # ACTION METHODS
    # ------------------------------------------------------------

    def action_record(self):
        self.ensure_one()
        self.env["recurring.einvoice.connector"]._einvoice_report_status(
            self.move_id,
            self.code,
            self.date,
            self.env.user.name,
            amount=self.amount if self.code == STATUS_COLLECTED else None,
            message=self.message or None,
            source_type="user",
        )
        return {"type": "ir.actions.act_window_close"}
