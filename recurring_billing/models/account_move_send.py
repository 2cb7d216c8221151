# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models

from ..tools.facturx_pdf import (
    FACTURX_FILENAME,
    embedded_file_names,
    is_pdfa,
    make_facturx_pdfa,
    pdfa_declared,
    use_pdfa_writer,
)

# Odoo takes every PDF wkhtmltopdf renders for a PDF/A already, and then
# leaves it a plain PDF: its sending gets a writer that asks the PDF, within
# this module's sending only (see tools/facturx_pdf.py).
use_pdfa_writer()


class AccountMoveSend(models.AbstractModel):
    """Factur-X of French companies: checked before it is sent, and embedded
    in a PDF/A-3."""

    _inherit = "account.move.send"

    def _hook_invoice_document_before_pdf_report_render(self, invoice, invoice_data):
        super()._hook_invoice_document_before_pdf_report_render(invoice, invoice_data)
        if not invoice.l10n_fr_is_company_french or not invoice.is_sale_document():
            return
        # The Factur-X that goes into the PDF, whatever the e-invoicing format
        # chosen (Odoo embeds one in every invoice PDF).
        if invoice_data.get("ubl_cii_xml_options", {}).get("ubl_cii_format") == (
            "facturx"
        ):
            xml_content = invoice_data["ubl_cii_xml_attachment_values"]["raw"]
        else:
            xml_content = self.env["account.edi.xml.cii"]._export_invoice(invoice)[0]
        invoice_data["fr_facturx_xml"] = xml_content
        try:
            failures = invoice._get_facturx_failures(xml_content)
        except (RuntimeError, ValueError) as error:
            failures = [
                self.env._("The Factur-X could not be checked: %(error)s", error=error)
            ]
        if not failures:
            return
        title = self.env._(
            "The Factur-X of %(invoice)s breaks rules of EN 16931 or of the French "
            "e-invoicing reform:",
            invoice=invoice.display_name,
        )
        if invoice.commercial_partner_id.is_company:
            # A company must receive a valid e-invoice: not sent, and the
            # chatter says which rules failed.
            invoice_data["error"] = {"error_title": title, "errors": failures}
            invoice_data["error_but_continue"] = False
        else:
            # A consumer gets the PDF; the rules that failed are noted.
            invoice.message_post(
                body=self._format_error_html({"error_title": title, "errors": failures})
            )

    def _hook_invoice_document_after_pdf_report_render(self, invoice, invoice_data):
        with pdfa_declared():
            super()._hook_invoice_document_after_pdf_report_render(
                invoice, invoice_data
            )
        pdf_values = invoice_data.get("pdf_attachment_values")
        xml_content = invoice_data.get("fr_facturx_xml")
        if (
            not pdf_values
            or not xml_content
            or not pdf_values["raw"].startswith(b"%PDF")
        ):
            return
        pdf = pdf_values["raw"]
        if FACTURX_FILENAME in embedded_file_names(pdf) and is_pdfa(pdf):
            # Odoo embedded the Factur-X and made the PDF/A-3 itself.
            return
        # Odoo made no PDF/A-3 of it: the e-invoicing format chosen for the
        # customer is not Factur-X (Odoo then only attaches the XML), or the
        # server runs tests (Odoo then skips both). Same writer, same steps.
        metadata = self.env["ir.qweb"]._render(
            "account_edi_ubl_cii.account_invoice_pdfa_3_facturx_metadata",
            {"title": invoice.name, "date": fields.Date.context_today(self)},
        )
        pdf_values["raw"] = make_facturx_pdfa(pdf, xml_content, metadata.encode())
