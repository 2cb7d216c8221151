# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class RecurringDunningPenalty(models.Model):
    """The late-payment penalties and recovery indemnity of one overdue
    invoice, invoiced by its formal notice. One line per overdue invoice,
    enforced by the database: a later notice never invoices them again."""

    _name = "recurring.dunning.penalty"
    _description = "Dunning Penalties of an Invoice"
    _order = "date desc, id desc"
    _check_company_auto = True

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    move_id = fields.Many2one(
        "account.move",
        string="Overdue Invoice",
        required=True,
        ondelete="cascade",
        index=True,
        readonly=True,
    )
    penalty_move_id = fields.Many2one(
        "account.move",
        string="Penalty Invoice",
        readonly=True,
        ondelete="set null",
        index="btree_not_null",
    )
    company_id = fields.Many2one(related="move_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="move_id.currency_id")
    date = fields.Date(required=True, readonly=True)
    days = fields.Integer(string="Days Late", readonly=True)
    rate = fields.Float(string="Yearly Rate (%)", digits=(16, 4), readonly=True)
    penalty = fields.Monetary(string="Penalties", readonly=True)
    indemnity = fields.Monetary(string="Recovery Indemnity", readonly=True)

    # ------------------------------------------------------------
    # SQL CONSTRAINTS
    # ------------------------------------------------------------

    _sql_constraints = [
        (
            "move_uniq",
            "UNIQUE(move_id)",
            "The penalties of an overdue invoice are invoiced only once.",
        ),
    ]
