# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models


class RecurringSubscriptionPublic(models.AbstractModel):
    """A subscription of a French public-sector buyer (Chorus Pro): the
    buyer's service code and engagement numbers, which every invoice of the
    subscription carries (``l10n_fr_facturx_chorus_pro`` fields of the
    invoice, BT-10 and BT-13 of its Factur-X)."""

    _name = "recurring.subscription.public"
    _description = "Subscription of a Public-Sector Buyer"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    fr_public_buyer = fields.Boolean(
        string="Public-Sector Buyer",
        compute="_compute_fr_public_buyer",
    )
    fr_service_code = fields.Char(
        string="Service Code",
        tracking=True,
        help='The public buyer\'s service code ("service exécutant" in Chorus '
        "Pro): the buyer reference (BT-10) of every invoice.",
    )
    fr_contract_reference = fields.Char(
        string="Public Contract Number",
        tracking=True,
        help='The public contract ("numéro de marché" in Chorus Pro), if any: '
        "the contract reference (BT-12) of every invoice.",
    )
    fr_engagement_ids = fields.One2many(
        "recurring.public.engagement",
        "order_id",
        string="Engagement Numbers",
        copy=True,
        help="The buyer's engagement numbers and the days each one covers: an "
        "invoice carries the one that covers the start of its billing period.",
    )

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    @api.depends("partner_id.commercial_partner_id.fr_public_buyer")
    def _compute_fr_public_buyer(self):
        for order in self:
            order.fr_public_buyer = (
                order.partner_id.commercial_partner_id.fr_public_buyer
            )

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _get_fr_engagement(self, day):
        """The engagement of this subscription that covers ``day``."""
        self.ensure_one()
        return self.fr_engagement_ids.filtered(lambda e: e._covers(day))[:1]

    def _prepare_fr_public_invoice_vals(self, day):
        """The Chorus Pro references of an invoice of this subscription (or
        of the subscription a change order changes) billing from ``day``."""
        self.ensure_one()
        subscription = self.subscription_parent_id or self
        vals = {}
        if subscription.fr_service_code:
            vals["buyer_reference"] = subscription.fr_service_code
        if subscription.fr_contract_reference:
            vals["contract_reference"] = subscription.fr_contract_reference
        engagement = subscription._get_fr_engagement(day)
        if engagement:
            vals["purchase_order_reference"] = engagement.name
        return vals

    def _prepare_recurring_invoice_vals(self, invoice_date, *args, **kwargs):
        vals = super()._prepare_recurring_invoice_vals(invoice_date, *args, **kwargs)
        if vals:
            # The engagement that covers the period billed, not the day the
            # invoice is issued (a period caught up late).
            day = vals.get("subscription_period_start") or vals["invoice_date"]
            vals.update(self._prepare_fr_public_invoice_vals(day))
        return vals
