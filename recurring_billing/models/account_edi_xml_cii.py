# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models
from odoo.tools import html2plaintext

# BT-23, French CTC "cadre de facturation": deposit and other frames are not
# issued by the subscription engine.
FR_BUSINESS_PROCESS = {"goods": "B1", "services": "S1", "mixed": "M1"}
EN16931_CONTEXT = "urn:cen.eu:en16931:2017"


class AccountEdiXmlCii(models.AbstractModel):
    """Factur-X EN 16931 for invoices of French companies: what the French
    e-invoicing reform requires on top of Odoo's export (see the templates in
    ``data/cii_facturx_templates.xml``)."""

    _inherit = "account.edi.xml.cii"

    def _export_invoice_vals(self, invoice):
        vals = super()._export_invoice_vals(invoice)
        if not invoice.l10n_fr_is_company_french:
            return vals
        company = invoice.company_id
        buyer = invoice.commercial_partner_id
        vals.update(
            {
                # Odoo declares the EXTENDED profile in an EN 16931 document.
                "document_context_id": EN16931_CONTEXT,
                "business_process_id": FR_BUSINESS_PROCESS.get(
                    invoice.fr_operation_nature or "services"
                ),
                # SIREN under scheme 0002 (BT-30, BT-47), SIRET under 0009.
                "seller_specified_legal_organization": (company.siret or "")[:9],
                "seller_global_id": company.siret,
                "buyer_specified_legal_organization": (buyer.siret or "")[:9]
                if buyer.is_company
                else False,
                "buyer_global_id": buyer.siret if buyer.is_company else False,
                "seller_endpoint": self._get_fr_endpoint(company.partner_id),
                "buyer_endpoint": self._get_fr_endpoint(buyer),
                "included_notes": self._get_fr_included_notes(invoice),
                "payment_means_code": self._get_fr_payment_means_code(invoice),
            }
        )
        if invoice.subscription_period_start and invoice.subscription_period_end:
            vals["billing_start"] = invoice.subscription_period_start
            vals["billing_end"] = invoice.subscription_period_end
        original = invoice.reversed_entry_id
        if original:
            vals["invoice_referenced_document"] = {
                "id": original.name,
                "date": original.invoice_date,
            }
        for line_vals in vals["invoice_line_vals_list"]:
            line = line_vals["line"]
            if line.start_date and line.end_date:
                line_vals["billing_start"] = line.start_date
                line_vals["billing_end"] = line.end_date
        return vals

    def _export_invoice_constraints(self, invoice, vals):
        constraints = super()._export_invoice_constraints(invoice, vals)
        if invoice.l10n_fr_is_company_french and invoice.move_type == "out_refund":
            # Payment instructions (BG-16) are optional in EN 16931; a credit
            # note has no bank account of the company to pay to.
            constraints.pop("seller_payment_instructions_1", None)
            constraints.pop("seller_payment_instructions_2", None)
        return constraints

    def _get_fr_endpoint(self, partner):
        """Electronic address (BT-34, BT-49): the SIREN under scheme 0225 for
        French companies, else the Peppol address, else the e-mail address
        (scheme EM).

        :return: ``(scheme, address)`` or ``False``
        """
        commercial = partner.commercial_partner_id
        if commercial.is_company and commercial.siret:
            return ("0225", commercial.siret[:9])
        if commercial.peppol_eas and commercial.peppol_endpoint:
            return (commercial.peppol_eas, commercial.peppol_endpoint)
        if commercial.email:
            return ("EM", commercial.email)
        return False

    def _get_fr_included_notes(self, invoice):
        """Notes (BG-1) with their subject code: payment-term mentions under
        PMD (late payment), PMT (recovery indemnity), AAB (early payment),
        the other legal mentions and the invoice's own note under none."""
        mentions = dict(invoice._get_fr_legal_mentions())
        # In the customer's language, as the invoice is.
        env = invoice.with_context(lang=invoice.partner_id.lang).env
        notes = []
        note = html2plaintext(invoice.narration or "").strip()
        if note:
            notes.append(("", note))
        notes.append(
            ("PMD", mentions.get("late_payment") or env._("No late payment penalty."))
        )
        if mentions.get("recovery_indemnity"):
            recovery = mentions["recovery_indemnity"]
        elif invoice.commercial_partner_id.is_company:
            recovery = env._("No fixed recovery indemnity.")
        else:
            recovery = env._(
                "No fixed recovery indemnity: the customer is not a professional."
            )
        notes.append(("PMT", recovery))
        notes.append(
            (
                "AAB",
                mentions.get("early_payment") or env._("No early payment discount."),
            )
        )
        for key in ("seller", "vat_on_debits"):
            if mentions.get(key):
                notes.append(("REG", mentions[key]))
        return notes

    def _get_fr_payment_means_code(self, invoice):
        """UNTDID 4461 code of the payment means (BT-81), from the invoice's
        preferred payment method: SEPA direct debit (59), a card through a
        payment provider (48), else a SEPA credit transfer (58) to the
        company's IBAN, or another credit transfer (30)."""
        method = invoice.preferred_payment_method_line_id
        if method.payment_method_id.code in ("sepa_direct_debit", "sdd"):
            return "59"
        if "payment_provider_id" in method._fields and method.payment_provider_id:
            return "48"
        return "58" if invoice.partner_bank_id.acc_type == "iban" else "30"

    def _get_tax_unece_codes(self, customer, supplier, tax):
        res = super()._get_tax_unece_codes(customer, supplier, tax)
        company = tax.company_id if tax else self.env.company
        if company.country_code not in company._get_france_country_codes():
            return res
        if company.fr_vat_franchise:
            return {
                "tax_category_code": "E",
                "tax_exemption_reason_code": "VATEX-FR-FRANCHISE",
                "tax_exemption_reason": "TVA non applicable, art. 293 B du CGI",
            }
        if (
            res.get("tax_category_code") == "K"
            and tax
            and tax.tax_scope != "consu"
            and customer.vat
        ):
            # Services to a company in another EU country: reverse charge.
            return {
                "tax_category_code": "AE",
                "tax_exemption_reason_code": "VATEX-EU-AE",
                "tax_exemption_reason": "Autoliquidation",
            }
        return res
