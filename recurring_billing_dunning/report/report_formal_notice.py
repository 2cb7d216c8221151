# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import Command, api, models
from odoo.tools import SQL, formatLang

from ..models.res_company import RECOVERY_INDEMNITY_EUR


class ReportFormalNotice(models.AbstractModel):
    """French formal notice (mise en demeure): the invoices of a customer in
    dunning and past their notice step, the late-payment penalties to the day
    and, for a business, the flat recovery indemnity per invoice."""

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
    def _get_notice_invoices(self, invoice):
        """The invoices the notice about ``invoice`` lists: those of its
        customer, company and currency still in dunning whose notice step was
        taken, without a payment under way (a pending debit, a payment being
        made online)."""
        Move = self.env["account.move"].sudo()
        moves = Move.search(
            [
                ("company_id", "=", invoice.company_id.id),
                ("commercial_partner_id", "=", invoice.commercial_partner_id.id),
                ("currency_id", "=", invoice.currency_id.id),
                ("dunning_state", "=", "running"),
                ("dunning_history_ids.action", "=", "notice"),
            ],
            order="invoice_date_due, id",
        )
        return moves.filtered(
            lambda move: not move._dunning_payment_under_way()
            and not move._dunning_is_paid()
        )

    @api.model
    def _get_notice_values(self, invoice, today=None):
        """The figures of the formal notice sent about ``invoice``.

        :return: dict with ``lines`` (invoice, days late, residual, penalty,
            indemnity) and the totals, all rounded to the currency; the
            penalties already invoiced by an earlier notice are shown as
            invoiced then
        """
        invoice = invoice.sudo()
        company = invoice.company_id
        today = today or company._get_today()
        currency = invoice.currency_id
        partner = invoice.commercial_partner_id
        moves = self._get_notice_invoices(invoice)
        business = self._is_business(partner)
        rate = company._dunning_get_penalty_rate(business)
        eur = self.env.ref("base.EUR")
        indemnity_unit = currency.round(
            eur._convert(RECOVERY_INDEMNITY_EUR, currency, company, today)
            if business
            else 0.0
        )
        invoiced = {
            penalty.move_id: penalty
            for penalty in self.env["recurring.dunning.penalty"]
            .sudo()
            .search([("move_id", "in", moves.ids)])
        }
        lines = []
        for move in moves:
            days = (today - move.invoice_date_due).days
            residual = move.amount_residual
            penalty = invoiced.get(move)
            lines.append(
                {
                    "move": move,
                    "due_date": move.invoice_date_due,
                    "days": days,
                    "residual": residual,
                    "penalty": (
                        penalty.penalty
                        if penalty
                        else currency.round(residual * rate / 100.0 * days / 365.0)
                    ),
                    "indemnity": penalty.indemnity if penalty else indemnity_unit,
                    "invoiced": bool(penalty),
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
    def _send(self, invoice, step, invoices=None):
        """Invoice the penalties if the step says so, print the formal notice
        of ``invoice`` in its customer's language, attach it to the invoice
        and email it with the step's template, as the letter about
        ``invoices`` (by default ``invoice``), the customer's invoices at the
        notice step today.

        :return: the values of the history lines
        """
        invoice = invoice.sudo()
        lang = invoice.partner_id.lang or invoice.commercial_partner_id.lang
        note = ""
        if step.invoice_penalties:
            # The penalty invoice's labels in the customer's language.
            penalty_invoice = self.with_context(lang=lang)._create_penalty_invoice(
                self._get_notice_values(invoice)
            )
            if penalty_invoice:
                note = self.env._(
                    "Penalties invoiced: %(invoice)s.", invoice=penalty_invoice.name
                )
        values = self._get_notice_values(invoice)
        report = self.env["ir.actions.report"].sudo().with_context(lang=lang)
        pdf, _type = report._render_qweb_pdf(
            "recurring_billing_dunning.action_report_formal_notice", invoice.ids
        )
        attachment = (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": self.with_context(lang=lang)
                    .env._("Formal notice %(invoice)s.pdf", invoice=invoice.name)
                    .replace("/", "_"),
                    "raw": pdf,
                    "mimetype": "application/pdf",
                    "res_model": "account.move",
                    "res_id": invoice.id,
                }
            )
        )
        vals = invoice._dunning_send_mail(
            step.mail_template_id,
            attachment_ids=attachment.ids,
            dunning_move_ids=tuple((invoices or invoice).ids),
        )
        note = " ".join(
            filter(
                None,
                [
                    self.env._(
                        "Formal notice for %(total)s.",
                        total=values["currency"].format(values["total"]),
                    ),
                    note,
                ],
            )
        )
        return dict(vals, note=note)

    @api.model
    def _claim_penalties(self, values):
        """Insert the penalty lines of the notice's invoices that have none
        yet; the database keeps one per invoice, whoever inserts it first.

        :return: the penalty lines inserted here
        """
        Penalty = self.env["recurring.dunning.penalty"].sudo()
        lines = [line for line in values["lines"] if not line["invoiced"]]
        if not lines:
            return Penalty
        Penalty.flush_model()
        rows = self.env.execute_query(
            SQL(
                """
                INSERT INTO recurring_dunning_penalty
                    (move_id, company_id, date, days, rate, penalty, indemnity,
                     create_uid, write_uid, create_date, write_date)
                SELECT v.move_id, %s, %s, v.days, %s, v.penalty, v.indemnity,
                       %s, %s, NOW() AT TIME ZONE 'UTC', NOW() AT TIME ZONE 'UTC'
                  FROM (VALUES %s) AS v(move_id, days, penalty, indemnity)
                ON CONFLICT (move_id) DO NOTHING
                RETURNING id
                """,
                values["company"].id,
                values["today"],
                values["rate"],
                self.env.uid,
                self.env.uid,
                SQL(", ").join(
                    SQL(
                        "(%s, %s, %s::numeric, %s::numeric)",
                        line["move"].id,
                        line["days"],
                        line["penalty"],
                        line["indemnity"],
                    )
                    for line in lines
                ),
            )
        )
        return Penalty.browse([row[0] for row in rows])

    @api.model
    def _create_penalty_invoice(self, values):
        """A posted invoice of the penalties and indemnities (outside the
        scope of VAT) of the notice's invoices not invoiced yet, or nothing
        if there are none or they are zero."""
        currency = values["currency"]
        penalties = self._claim_penalties(values)
        total_penalty = currency.round(sum(penalties.mapped("penalty")))
        indemnities = penalties.filtered(lambda p: not currency.is_zero(p.indemnity))
        if currency.is_zero(total_penalty) and not indemnities:
            return self.env["account.move"]
        invoice = values["invoice"]
        lines = []
        if not currency.is_zero(total_penalty):
            label = (
                self.env._(
                    "Late-payment penalties at %(rate)s %% a year",
                    rate=formatLang(self.env, values["rate"], digits=2),
                )
                if values["business"]
                else self.env._(
                    "Late-payment interest at the legal rate of %(rate)s %% a year",
                    rate=formatLang(self.env, values["rate"], digits=2),
                )
            )
            lines.append(
                Command.create(
                    {
                        "name": label,
                        "quantity": 1,
                        "price_unit": total_penalty,
                        "tax_ids": [Command.clear()],
                    }
                )
            )
        if indemnities:
            lines.append(
                Command.create(
                    {
                        "name": self.env._("Flat recovery indemnity (art. L441-10)"),
                        "quantity": len(indemnities),
                        "price_unit": indemnities[0].indemnity,
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
                    "invoice_origin": ", ".join(penalties.move_id.mapped("name")),
                    "invoice_line_ids": lines,
                }
            )
        )
        penalty_invoice.action_post()
        penalties.write({"penalty_move_id": penalty_invoice.id})
        return penalty_invoice
