# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import Command, api, models

from ..models.res_company import RECOVERY_INDEMNITY_EUR


class ReportFormalNotice(models.AbstractModel):
    """French formal notice (mise en demeure): the overdue invoices of a
    customer, the late-payment penalties to the day and, for a business, the
    flat recovery indemnity per invoice."""

    _name = "report.recurring_billing_dunning.report_formal_notice"
    _description = "Formal Notice Report"

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    @api.model
    def _is_business(self, partner):
        partner = partner.commercial_partner_id
        return bool(partner.is_company or partner.vat)

    @api.model
    def _get_notice_values(self, invoice, today=None):
        """The figures of the formal notice sent about ``invoice``: every
        overdue subscription invoice of its customer in its company.

        :return: dict with ``lines`` (invoice, days late, residual, penalty,
            indemnity) and the totals, all rounded to the currency
        """
        invoice = invoice.sudo()
        company = invoice.company_id
        today = today or company._get_today()
        currency = invoice.currency_id
        partner = invoice.commercial_partner_id
        overdue = (
            self.env["account.move"]
            .sudo()
            .search(
                self.env["account.move"]._get_overdue_subscription_invoices_domain(
                    today
                )
                + [
                    ("company_id", "=", company.id),
                    ("commercial_partner_id", "=", partner.id),
                    ("currency_id", "=", currency.id),
                ],
                order="invoice_date_due, id",
            )
        )
        business = self._is_business(partner)
        rate = company._dunning_get_penalty_rate()
        eur = self.env.ref("base.EUR")
        indemnity_unit = (
            eur._convert(RECOVERY_INDEMNITY_EUR, currency, company, today)
            if business
            else 0.0
        )
        lines = []
        for move in overdue:
            days = (today - move.invoice_date_due).days
            residual = move.amount_residual
            penalty = currency.round(residual * rate / 100.0 * days / 365.0)
            lines.append(
                {
                    "move": move,
                    "due_date": move.invoice_date_due,
                    "days": days,
                    "residual": residual,
                    "penalty": penalty,
                    "indemnity": currency.round(indemnity_unit),
                }
            )
        total_residual = currency.round(sum(line["residual"] for line in lines))
        total_penalty = currency.round(sum(line["penalty"] for line in lines))
        total_indemnity = currency.round(sum(line["indemnity"] for line in lines))
        return {
            "invoice": invoice,
            "company": company,
            "partner": partner,
            "currency": currency,
            "today": today,
            "business": business,
            "rate": rate,
            "lines": lines,
            "total_residual": total_residual,
            "total_penalty": total_penalty,
            "total_indemnity": total_indemnity,
            "total": currency.round(total_residual + total_penalty + total_indemnity),
        }

    @api.model
    def _get_report_values(self, docids, data=None):
        invoices = self.env["account.move"].browse(docids)
        invoices.check_access("read")
        return {
            "doc_ids": docids,
            "doc_model": "account.move",
            "docs": invoices,
            "notices": {inv.id: self._get_notice_values(inv) for inv in invoices},
        }

    @api.model
    def _send(self, invoice, step):
        """Print the formal notice of ``invoice``, attach it to the invoice,
        email it with the step's template and, if the step says so, invoice
        the penalties and the indemnity.

        :return: the values of the history line
        """
        values = self._get_notice_values(invoice)
        pdf, _type = (
            self.env["ir.actions.report"]
            .sudo()
            ._render_qweb_pdf(
                "recurring_billing_dunning.action_report_formal_notice", invoice.ids
            )
        )
        attachment = (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": self.env._(
                        "Formal notice %(invoice)s.pdf", invoice=invoice.name
                    ).replace("/", "_"),
                    "raw": pdf,
                    "mimetype": "application/pdf",
                    "res_model": "account.move",
                    "res_id": invoice.id,
                }
            )
        )
        vals = invoice._dunning_send_mail(
            step.mail_template_id, attachment_ids=attachment.ids
        )
        note = self.env._(
            "Formal notice for %(total)s.",
            total=values["currency"].format(values["total"]),
        )
        if step.invoice_penalties:
            penalty_invoice = self._create_penalty_invoice(values)
            if penalty_invoice:
                note += " " + self.env._(
                    "Penalties invoiced: %(invoice)s.", invoice=penalty_invoice.name
                )
        return dict(vals, note=note)

    @api.model
    def _create_penalty_invoice(self, values):
        """A posted invoice of the penalties and indemnities (outside the
        scope of VAT), or nothing if both are zero."""
        currency = values["currency"]
        if currency.is_zero(values["total_penalty"]) and currency.is_zero(
            values["total_indemnity"]
        ):
            return self.env["account.move"]
        invoice = values["invoice"]
        lines = []
        if not currency.is_zero(values["total_penalty"]):
            lines.append(
                Command.create(
                    {
                        "name": self.env._(
                            "Late-payment penalties at %(rate)s %% a year",
                            rate=round(values["rate"], 4),
                        ),
                        "quantity": 1,
                        "price_unit": values["total_penalty"],
                        "tax_ids": [Command.clear()],
                    }
                )
            )
        if not currency.is_zero(values["total_indemnity"]):
            lines.append(
                Command.create(
                    {
                        "name": self.env._("Flat recovery indemnity (art. L441-10)"),
                        "quantity": len(values["lines"]),
                        "price_unit": values["lines"][0]["indemnity"],
                        "tax_ids": [Command.clear()],
                    }
                )
            )
        penalty_invoice = (
            self.env["account.move"]
            .sudo()
            .with_company(invoice.company_id)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": values["partner"].id,
                    "company_id": invoice.company_id.id,
                    "currency_id": currency.id,
                    "invoice_date": values["today"],
                    "invoice_origin": invoice.name,
                    "invoice_line_ids": lines,
                }
            )
        )
        penalty_invoice.action_post()
        return penalty_invoice
