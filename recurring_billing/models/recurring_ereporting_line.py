# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from collections import defaultdict

from odoo import api, fields, models


class RecurringEreportingLine(models.Model):
    """The payment data of services to consumers that the French e-reporting
    declares: each amount collected on a B2C services invoice (or refunded on
    its credit note), split by VAT rate, to the cent. Recorded with its
    "collected" status; the declaration of a period sums them by rate."""

    _name = "recurring.ereporting.line"
    _description = "E-Reporting of Payments (B2C Services)"
    _order = "date desc, id desc"
    _check_company_auto = True

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    status_id = fields.Many2one(
        "recurring.einvoice.status",
        required=True,
        index=True,
        ondelete="cascade",
        readonly=True,
    )
    move_id = fields.Many2one(
        "account.move",
        string="Invoice",
        required=True,
        index=True,
        readonly=True,
        ondelete="cascade",
    )
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    date = fields.Date(string="Collected On", required=True, readonly=True)
    tax_rate = fields.Float(string="VAT Rate (%)", digits=(16, 2), readonly=True)
    amount_total = fields.Monetary(string="Collected (VAT incl.)", readonly=True)
    amount_untaxed = fields.Monetary(string="Base (VAT excl.)", readonly=True)
    amount_tax = fields.Monetary(string="VAT", readonly=True)

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    @api.model
    def _is_b2c_services(self, move):
        """Services sold to a consumer (no company, no VAT number)."""
        partner = move.commercial_partner_id
        return (
            not partner.is_company
            and not partner.vat
            and move.fr_operation_nature in ("services", "mixed")
        )

    @api.model
    def _get_rate_shares(self, move):
        """The services' share of the invoice's total, by VAT rate:
        ``{rate: (services total at that rate, invoice total)}``."""
        totals = defaultdict(float)
        for line in move.invoice_line_ids.filtered(
            lambda line: line.display_type == "product"
            and (line.product_id.type or "service") == "service"
        ):
            rate = sum(
                tax.amount
                for tax in line.tax_ids.flatten_taxes_hierarchy()
                if tax.amount_type == "percent"
            )
            totals[round(rate, 2)] += line.price_total
        return totals, sum(
            line.price_total
            for line in move.invoice_line_ids
            if line.display_type == "product"
        )

    @api.model
    def _create_for_status(self, status):
        """The lines of a "collected" status of a B2C services invoice: its
        amount (company currency) split by rate in proportion to the invoice's
        totals, the cents rounded so that the lines add up to it."""
        # Read as the system: the customer paying online may be the user.
        status = status.sudo()
        move = status.move_id
        if not self._is_b2c_services(move):
            return self
        totals, grand_total = self._get_rate_shares(move)
        currency = move.company_id.currency_id
        if not totals or currency.is_zero(grand_total):
            return self
        amount = status.amount_company
        services = currency.round(amount * sum(totals.values()) / grand_total)
        rates = sorted(totals, key=lambda rate: totals[rate], reverse=True)
        parts = {
            rate: currency.round(amount * totals[rate] / grand_total) for rate in rates
        }
        # The rounding difference goes to the largest part.
        parts[rates[0]] = currency.round(
            parts[rates[0]] + services - sum(parts.values())
        )
        vals_list = []
        for rate in rates:
            total = parts[rate]
            untaxed = currency.round(total / (1 + rate / 100))
            vals_list.append(
                {
                    "status_id": status.id,
                    "move_id": move.id,
                    "partner_id": move.commercial_partner_id.id,
                    "company_id": move.company_id.id,
                    "date": status.date,
                    "tax_rate": rate,
                    "amount_total": total,
                    "amount_untaxed": untaxed,
                    "amount_tax": currency.round(total - untaxed),
                }
            )
        return self.create(vals_list)

    @api.model
    def _get_period_figures(self, company, date_from, date_to):
        """The declaration of ``company`` for the days ``date_from`` to
        ``date_to``: ``[{"month", "tax_rate", "amount_untaxed",
        "amount_tax", "amount_total"}]`` by month and rate."""
        groups = self._read_group(
            [
                ("company_id", "=", company.id),
                ("date", ">=", date_from),
                ("date", "<=", date_to),
            ],
            ["date:month", "tax_rate"],
            ["amount_untaxed:sum", "amount_tax:sum", "amount_total:sum"],
            order="date:month, tax_rate",
        )
        currency = company.currency_id
        return [
            {
                "month": fields.Date.to_date(month),
                "tax_rate": rate,
                "amount_untaxed": currency.round(untaxed),
                "amount_tax": currency.round(tax),
                "amount_total": currency.round(total),
            }
            for month, rate, untaxed, tax, total in groups
        ]
