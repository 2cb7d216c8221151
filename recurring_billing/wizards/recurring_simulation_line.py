# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class RecurringSimulationLine(models.TransientModel):
    _name = "recurring.simulation.line"
    _description = "Recurring Invoicing Simulation Line"
    _order = "subscription_id, invoice_date, id"

    simulation_id = fields.Many2one(
        "recurring.simulation", required=True, ondelete="cascade"
    )
    subscription_id = fields.Many2one("sale.order", readonly=True)
    partner_id = fields.Many2one(related="subscription_id.partner_id")
    line_type = fields.Selection(
        [
            ("invoice", "Invoice"),
            ("renewal", "Renewal"),
            ("state", "New State"),
            ("error", "Error"),
        ],
        string="Event",
        readonly=True,
    )
    invoice_date = fields.Date(readonly=True)
    period_start = fields.Date(readonly=True)
    period_end = fields.Date(readonly=True)
    amount_untaxed = fields.Monetary(string="Untaxed", readonly=True)
    amount_tax = fields.Monetary(string="Taxes", readonly=True)
    amount_total = fields.Monetary(string="Total", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    note = fields.Char(readonly=True)
