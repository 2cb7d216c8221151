# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import base64
import csv
import io

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_repr


class RecurringEreportingExport(models.TransientModel):
    """Export the payment data of services to consumers of a period, by month
    and VAT rate, as a CSV file for the e-reporting declaration."""

    _name = "recurring.ereporting.export"
    _description = "Export the E-Reporting of Payments"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    date_from = fields.Date(string="From", required=True)
    date_to = fields.Date(string="To", required=True)
    file_data = fields.Binary(string="File", readonly=True, attachment=False)
    file_name = fields.Char(readonly=True)

    # ------------------------------------------------------------
    # DEFAULT METHODS
    # ------------------------------------------------------------

    @api.model
    def default_get(self, fields_list):
        res = super().default_get(fields_list)
        # The previous month of the company's calendar.
        first = self.env.company._get_today() + relativedelta(day=1, months=-1)
        res.setdefault("date_from", first)
        res.setdefault("date_to", first + relativedelta(day=31))
        return res

    # ------------------------------------------------------------
    # ACTION METHODS
    # ------------------------------------------------------------

    def action_export(self):
        self.ensure_one()
        if self.date_to < self.date_from:
            raise UserError(self.env._("The period ends before it starts."))
        siren = (self.company_id.siret or "")[:9] or self.company_id.id
        self.write(
            {
                "file_data": base64.b64encode(self._get_csv()),
                "file_name": f"ereporting_{siren}_{self.date_from.isoformat()}_"
                f"{self.date_to.isoformat()}.csv",
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self._name}/{self.id}/file_data/"
            f"{self.file_name}?download=true",
            "target": "self",
        }

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _get_csv(self):
        """The figures of the period, one row per month and VAT rate, amounts
        with two decimals and a decimal point."""
        self.ensure_one()
        figures = self.env["recurring.ereporting.line"]._get_period_figures(
            self.company_id, self.date_from, self.date_to
        )
        digits = self.company_id.currency_id.decimal_places
        stream = io.StringIO()
        writer = csv.writer(stream, delimiter=";", lineterminator="\n")
        writer.writerow(
            [
                "period",
                "siren",
                "vat_rate",
                "amount_untaxed",
                "amount_tax",
                "amount_total",
                "currency",
            ]
        )
        for row in figures:
            writer.writerow(
                [
                    row["month"].strftime("%Y-%m"),
                    (self.company_id.siret or "")[:9],
                    float_repr(row["tax_rate"], 2),
                    float_repr(row["amount_untaxed"], digits),
                    float_repr(row["amount_tax"], digits),
                    float_repr(row["amount_total"], digits),
                    self.company_id.currency_id.name,
                ]
            )
        return stream.getvalue().encode()
