# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from collections import defaultdict
from contextlib import contextmanager

from odoo import api, fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    fr_public_buyer = fields.Boolean(
        string="Public-Sector Buyer (Chorus Pro)",
        help="A French public entity (town hall, hospital, ministry...): its "
        "invoices go through Chorus Pro and carry its SIRET, and the service "
        "code and engagement number it requires.",
    )
    fr_service_code_required = fields.Boolean(
        string="Service Code Required",
        help="Chorus Pro structure setting: invoices must give the buyer's "
        "service code (BT-10, buyer reference).",
    )
    fr_engagement_required = fields.Boolean(
        string="Engagement Number Required",
        help='Chorus Pro structure setting "engagement obligatoire": invoices '
        "must give the buyer's engagement (commitment) number (BT-13, purchase "
        "order reference).",
    )

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _increase_rank(self, field, n=1):
        # Inside _batch_rank_increases: counted, and applied once at its end.
        pending = self.env.context.get("recurring_pending_ranks")
        if pending is None or field not in ("customer_rank", "supplier_rank"):
            return super()._increase_rank(field, n=n)
        for partner_id in self.ids:
            pending[field][partner_id] += n
        return None

    @api.model
    @contextmanager
    def _batch_rank_increases(self):
        """Count the customer and supplier rank increases made inside this
        block (Odoo's posting makes one per invoice, each in its own
        savepoint) and apply them at its end, one update per field and
        increase: posting 100 invoices of 100 customers updates their ranks
        in one query instead of 100.

        Yields the environment to work in.
        """
        pending = {
            "customer_rank": defaultdict(int),
            "supplier_rank": defaultdict(int),
        }
        yield self.env(context=dict(self.env.context, recurring_pending_ranks=pending))
        for field, counts in pending.items():
            by_increase = defaultdict(list)
            for partner_id, increase in counts.items():
                by_increase[increase].append(partner_id)
            for increase, partner_ids in by_increase.items():
                self.browse(partner_ids)._increase_rank(field, increase)
