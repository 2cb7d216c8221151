# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models

from odoo.addons.l10n_fr_facturx_chorus_pro.models.account_edi_xml_ubl_bis3 import (
    AccountEdiXmlUBLBIS3 as ChorusProUblBis3,
)


class AccountEdiXmlUblBis3(models.AbstractModel):
    """Peppol BIS 3 for customers without a Peppol address.

    Odoo's ``l10n_fr_facturx_chorus_pro`` compares the customer's Peppol
    scheme and endpoint joined as text, and fails (``TypeError``) on a
    customer that has none, which any UBL export to such a customer hits.
    Without a Peppol address the customer is not Chorus Pro: its override is
    left out, and what it adds regardless of the customer is added here."""

    _inherit = "account.edi.xml.ubl_bis3"

    def _export_invoice_vals(self, invoice):
        if self._has_peppol_address(invoice.partner_id):
            return super()._export_invoice_vals(invoice)
        vals = super(ChorusProUblBis3, self)._export_invoice_vals(invoice)
        if invoice.buyer_reference:
            vals["vals"]["buyer_reference"] = invoice.buyer_reference
        if invoice.purchase_order_reference:
            vals["vals"]["order_reference"] = invoice.purchase_order_reference
        return vals

    def _export_invoice_constraints(self, invoice, vals):
        if self._has_peppol_address(vals["customer"]):
            return super()._export_invoice_constraints(invoice, vals)
        return super(ChorusProUblBis3, self)._export_invoice_constraints(invoice, vals)

    def _has_peppol_address(self, partner):
        commercial = partner.commercial_partner_id
        return bool(commercial.peppol_eas and commercial.peppol_endpoint)
