# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    payment_disputed = fields.Boolean(
        copy=False,
        readonly=True,
        tracking=True,
        help="The customer disputed the card payment of this invoice with their "
        "bank (a chargeback): answer the dispute in Stripe before its deadline.",
    )

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _recurring_get_direct_debit_token(self):
        """The SEPA Direct Debit token that collects this invoice, if any: the
        one of a debit under way or done, else the subscription's when the
        invoice is to be charged automatically.

        :return: a ``payment.token`` record, possibly empty
        """
        self.ensure_one()
        tokens = self.env["payment.token"]
        if self.move_type != "out_invoice":
            return tokens
        transactions = self.sudo().transaction_ids.filtered(
            lambda tx: tx.state in ("pending", "authorized", "done")
        )
        tokens = transactions.token_id
        if not tokens and self.recurring_charge_state in ("to_charge", "pending"):
            tokens = self.sudo().subscription_id.payment_token_id
        return tokens.filtered(
            lambda token: token.payment_method_code == "sepa_direct_debit"
        )[:1]
