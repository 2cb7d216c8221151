# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models
from odoo.tools import html2plaintext

from ..tools.facturx_vat import get_fr_vat_exemption

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
        builder = self
        if invoice.l10n_fr_is_company_french:
            # Which VAT category a 0 % tax falls in depends on what the
            # invoice sells (see _get_tax_unece_codes).
            builder = self.with_context(
                fr_operation_nature=invoice.fr_operation_nature or "services"
            )
        vals = super(AccountEdiXmlCii, builder)._export_invoice_vals(invoice)
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
            self._set_fr_positive_prices(line_vals)
        vals.update(self._get_fr_tax_currency_vals(invoice, vals))
        vals["fr_not_subject_to_vat"] = any(
            key.get("tax_category_code") == "O"
            for key in vals["tax_details"]["tax_details"]
        )
        # Nothing to pay: no due date (BT-9) nor payment reference (BT-83).
        vals["fr_nothing_due"] = invoice._is_fr_nothing_due()
        return vals

    def _set_fr_positive_prices(self, line_vals):
        """Item prices (BT-146, BT-148) are never negative (BR-27, BR-28,
        BR-FR-DEC-03): a line that takes an amount off the document (a
        discount, a credit on an invoice) has a negative quantity (BT-129)
        and a positive price, and a credit note's line (Odoo stores it as
        −1 × −54.00) has a positive quantity and price. The line's net
        amount (BT-131) is unchanged."""
        line = line_vals["line"]
        if line_vals["price_subtotal_unit"] >= 0 and (
            line_vals["gross_price_total_unit"] >= 0
        ):
            line_vals["fr_quantity"] = line.quantity
            return
        line_vals["fr_quantity"] = -line.quantity
        for key in ("price_subtotal_unit", "gross_price_total_unit"):
            line_vals[key] = -line_vals[key]
        line_vals["price_discount_unit"] = -line_vals["price_discount_unit"]

    def _get_fr_tax_currency_vals(self, invoice, vals):
        """BR-FR-CO-12: an invoice in another currency than the euro gives
        the VAT accounting currency (BT-6) and its total VAT in euros
        (BT-111), at the rate the invoice was posted with (its journal
        items' amounts in company currency)."""
        company_currency = invoice.company_id.currency_id
        if invoice.currency_id == company_currency:
            return {}
        return {
            "fr_tax_currency": company_currency.name,
            "fr_tax_total_company": company_currency.round(
                vals["tax_details"]["tax_amount"]
            ),
        }

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
        exemption = get_fr_vat_exemption(
            company, customer, tax, self.env.context.get("fr_operation_nature")
        )
        if not exemption:
            return res
        return {
            "tax_category_code": exemption["category"],
            "tax_exemption_reason_code": exemption["code"],
            "tax_exemption_reason": self._get_fr_vat_exemption_reasons()[
                exemption["key"]
            ],
        }

    def _get_fr_vat_exemption_reasons(self):
        """The legal basis of each case without VAT (BT-120), as the
        invoice prints it (see ``tools/facturx_vat.py``)."""
        return {
            "franchise": self.env._("TVA non applicable, art. 293 B du CGI"),
            "reverse_charge": self.env._("Autoliquidation"),
            "intra_eu_goods": self.env._(
                "Exonération de TVA, art. 262 ter I du CGI (livraison "
                "intracommunautaire)"
            ),
            "export_goods": self.env._(
                "Exonération de TVA, art. 262 I du CGI (exportation)"
            ),
            "export_services": self.env._(
                "TVA non applicable, art. 259-1 du CGI (prestation de services "
                "hors du champ de la TVA française)"
            ),
            "dom_goods": self.env._(
                "Exonération de TVA, art. 262 I et 294 du CGI (expédition vers "
                "un département d'outre-mer)"
            ),
            "dom_services": self.env._(
                "TVA non applicable, art. 259-1 et 294 du CGI (prestation de "
                "services hors du champ de la TVA métropolitaine)"
            ),
        }
