# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    payment_disputed = fields.Boolean(
        string="Payment Disputed",
        copy=False,
        readonly=True,
        tracking=True,
        help="The customer disputed the card payment of this invoice with their "
        "bank (a chargeback): answer the dispute in Stripe before its deadline.",
    )
