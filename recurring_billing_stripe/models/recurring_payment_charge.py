# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, models


class RecurringPaymentCharge(models.AbstractModel):
    _inherit = "recurring.payment.charge"

    # ------------------------------------------------------------
    # CRON
    # ------------------------------------------------------------

    @api.model
    def _cron_check_charges(self, batch_size=100):
        """Override of `recurring_billing`: the Stripe payment events that
        matched no transaction when they arrived are matched again first."""
        self.env["recurring.stripe.event"].with_context(
            recurring_charge_commit=True
        )._retry_unmatched()
        return super()._cron_check_charges(batch_size=batch_size)
