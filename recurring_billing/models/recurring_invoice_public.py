# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models
from odoo.exceptions import UserError


class RecurringInvoicePublic(models.AbstractModel):
    """Invoices to French public-sector buyers, which go through Chorus Pro:
    what the buyer requires must be on the invoice before it is posted."""

    _name = "recurring.invoice.public"
    _description = "Invoice to a Public-Sector Buyer"

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _get_fr_public_buyer_missing(self):
        """What this invoice lacks for its public buyer (Chorus Pro): a list
        of translated names, empty when nothing is missing."""
        self.ensure_one()
        buyer = self.commercial_partner_id
        missing = []
        if not buyer.fr_public_buyer:
            return missing
        if not buyer.siret:
            missing.append(self.env._("the buyer's SIRET"))
        if buyer.fr_service_code_required and not self.buyer_reference:
            missing.append(self.env._("the service code (buyer reference)"))
        if buyer.fr_engagement_required and not self.purchase_order_reference:
            missing.append(
                self.env._("the engagement number (purchase order reference)")
            )
        return missing

    def _check_fr_public_buyer(self):
        """Refuse to post an invoice or credit note to a public buyer without
        the SIRET, service code and engagement number that Chorus Pro requires
        for that buyer."""
        for move in self.filtered(
            lambda m: m.is_sale_document() and m.l10n_fr_is_company_french
        ):
            missing = move._get_fr_public_buyer_missing()
            if missing:
                raise UserError(
                    self.env._(
                        "Invoice %(invoice)s cannot be posted: the public buyer "
                        "%(partner)s receives its invoices through Chorus Pro, "
                        "which requires %(missing)s. Fill it on the invoice, or "
                        "on the subscription (service code, engagement numbers "
                        "covering the invoice's period).",
                        invoice=move.display_name,
                        partner=move.commercial_partner_id.display_name,
                        missing=", ".join(missing),
                    )
                )
