# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    # ------------------------------------------------------------
    # HOOKS
    # ------------------------------------------------------------

    def _reconcile_post_hook(self, data):
        """A credit note settling an invoice in dunning ends its dunning
        (``cancelled``): a subscription suspended for it resumes, as on a
        payment, when no other invoice of it is unpaid."""
        res = super()._reconcile_post_hook(data)
        cancelled = self.move_id.filtered(
            lambda move: move.dunning_state == "cancelled"
        )
        cancelled.subscription_id.filtered(
            lambda sub: sub.subscription_state == "suspended"
        )._dunning_resume_if_paid()
        return res
