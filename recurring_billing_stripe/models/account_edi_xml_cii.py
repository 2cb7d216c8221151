# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models

SEPA_DIRECT_DEBIT = "59"  # UNTDID 4461


class AccountEdiXmlCii(models.AbstractModel):
    """Factur-X of a subscription invoice collected by SEPA Direct Debit:
    payment means 59 (BT-81), the mandate reference (BT-89) and the company's
    SEPA creditor identifier (BT-90), see ``data/cii_facturx_templates.xml``."""

    _inherit = "account.edi.xml.cii"

    def _export_invoice_vals(self, invoice):
        vals = super()._export_invoice_vals(invoice)
        token = invoice._recurring_get_direct_debit_token()
        if token:
            vals["payment_means_code"] = SEPA_DIRECT_DEBIT
            vals["direct_debit_mandate_id"] = token._recurring_get_mandate_reference()
            vals["creditor_reference_id"] = (
                invoice.company_id.sepa_creditor_identifier or False
            )
        return vals

    def _get_fr_payment_means_code(self, invoice):
        if invoice._recurring_get_direct_debit_token():
            return SEPA_DIRECT_DEBIT
        return super()._get_fr_payment_means_code(invoice)
