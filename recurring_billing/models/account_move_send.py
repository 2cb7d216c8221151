# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models
from odoo.tools import file_open

from ..tools.facturx_pdf import make_facturx_pdf


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
        pdf_values = invoice_data.get("pdf_attachment_values")
        original = (
            pdf_values["raw"]
            if pdf_values and invoice_data.get("fr_facturx_xml")
            else None
        )
        super()._hook_invoice_document_after_pdf_report_render(invoice, invoice_data)
        if not original or not original.startswith(b"%PDF"):
            return
        # Odoo embeds the XML but, with wkhtmltopdf's output, takes the PDF for
        # a PDF/A already and leaves it as it is: build the PDF/A-3 instead.
        with file_open("tools/data/files/sRGB2014.icc", mode="rb") as icc:
            icc_profile = icc.read()
        company = invoice.company_id
        pdf_values["raw"] = make_facturx_pdf(
            original,
            invoice_data["fr_facturx_xml"],
            icc_profile,
            metadata={
                "author": company.name,
                "keywords": "Factur-X",
                "title": invoice.name,
                "subject": self.env._(
                    "Invoice %(invoice)s of %(company)s",
                    invoice=invoice.name,
                    company=company.name,
                ),
            },
        )
