# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, models


class AccountPartialReconcile(models.Model):
    _inherit = "account.partial.reconcile"

    # ------------------------------------------------------------
    # CRUD METHODS
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        partials = super().create(vals_list)
        # A payment reconciled with a subscription invoice: "collected". The
        # statuses follow the accounting, whoever reconciles (a customer
        # paying online, a billing user): recorded as the system.
        partials._get_reconciled_moves().sudo()._einvoice_sync_collections()
        return partials

    def unlink(self):
        # A payment unreconciled: the collection is reversed.
        moves = self._get_reconciled_moves()
        res = super().unlink()
        moves.exists().sudo()._einvoice_sync_collections()
        return res

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _get_reconciled_moves(self):
        """The customer invoices and credit notes these partials reconcile."""
        return (self.debit_move_id.move_id | self.credit_move_id.move_id).filtered(
            lambda move: move.move_type in ("out_invoice", "out_refund")
        )
