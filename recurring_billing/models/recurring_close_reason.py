# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class RecurringCloseReason(models.Model):
    _name = "recurring.close.reason"
    _description = "Subscription Close Reason"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)

    # Close reasons kept for the business's own use, not offered to
    # subscribers.
    _internal_xmlids = (
        "recurring_billing.close_reason_unpaid",
        "recurring_billing.close_reason_end_of_term",
    )

    def _get_portal_reasons(self):
        """The close reasons a subscriber may choose, as superuser."""
        internal = self.browse()
        for xmlid in self._internal_xmlids:
            internal |= self.env.ref(xmlid, raise_if_not_found=False) or internal
        return self.sudo().search([]) - internal

    def _get_portal_reason(self, reason_id):
        """The close reason ``reason_id`` (a form's value) if subscribers may
        choose it; empty otherwise."""
        reasons = self._get_portal_reasons()
        try:
            reason = reasons.browse(int(reason_id or 0))
        except ValueError:
            return reasons.browse()
        return reason if reason in reasons else reasons.browse()
