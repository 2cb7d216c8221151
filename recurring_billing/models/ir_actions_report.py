# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from collections import OrderedDict

from odoo import models

from ..tools.wkhtmltopdf import wkhtmltopdf_lacks_patched_qt


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _render_qweb_pdf_prepare_streams(self, report_ref, data, res_ids=None):
        """A wkhtmltopdf built without patched Qt (Debian's) fails when given
        several documents at once: there, render them one at a time. This
        serves Odoo's invoice-sending job and printing from a list alike."""
        if (
            not res_ids
            or len(res_ids) < 2
            or len(set(res_ids)) != len(res_ids)
            or not wkhtmltopdf_lacks_patched_qt()
        ):
            return super()._render_qweb_pdf_prepare_streams(
                report_ref, data, res_ids=res_ids
            )
        streams = OrderedDict()
        for res_id in res_ids:
            streams.update(
                super()._render_qweb_pdf_prepare_streams(
                    report_ref, dict(data or {}), res_ids=[res_id]
                )
            )
        return streams
