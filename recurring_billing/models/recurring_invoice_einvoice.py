# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError

from .recurring_einvoice_status import EINVOICE_STATUSES, STATUS_COLLECTED


class RecurringInvoiceEinvoice(models.AbstractModel):
    """The lifecycle of an issued e-invoice (French e-invoicing reform): its
    statuses, reported by a transmission connector or set by its payments
    ("collected", with the amount received), and its current status."""

    _name = "recurring.invoice.einvoice"
    _description = "E-Invoice Lifecycle of an Invoice"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    einvoice_status_ids = fields.One2many(
        "recurring.einvoice.status",
        "move_id",
        string="E-Invoice Statuses",
        readonly=True,
        copy=False,
    )
    einvoice_status = fields.Selection(
        EINVOICE_STATUSES,
        string="E-Invoice Status",
        compute="_compute_einvoice_status",
        store=True,
        copy=False,
        help="The last lifecycle status of the e-invoice (French e-invoicing reform).",
    )
    # einvoice_amount_collected: on account.move, which has the currency.

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    @api.depends(
        "einvoice_status_ids.code",
        "einvoice_status_ids.date",
        "einvoice_status_ids.amount",
    )
    def _compute_einvoice_status(self):
        for move in self:
            statuses = move.einvoice_status_ids.sorted(
                lambda s: (s.date, s.id), reverse=True
            )
            collections = statuses.filtered(lambda s: s.code == STATUS_COLLECTED)
            collected = move.currency_id.round(sum(collections.mapped("amount")))
            move.einvoice_amount_collected = collected
            if move.currency_id.is_zero(collected):
                # A payment reversed: the status before it.
                statuses -= collections
            move.einvoice_status = statuses[:1].code

    # ------------------------------------------------------------
    # ACTION METHODS
    # ------------------------------------------------------------

    def action_einvoice_send(self):
        """Send these invoices through the transmission connector."""
        sent = self.env["recurring.einvoice.connector"]._einvoice_send(self)
        if self - sent:
            raise UserError(
                self.env._(
                    "No e-invoicing connector took %(invoices)s: install and "
                    "configure the connector of your approved platform.",
                    invoices=", ".join((self - sent).mapped("display_name")),
                )
            )
        return True

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _is_einvoice_collection_tracked(self):
        """Whether this move's payments set its "collected" status: a posted
        subscription invoice or credit note of a French company."""
        self.ensure_one()
        return (
            self.state == "posted"
            and self.move_type in ("out_invoice", "out_refund")
            and self.l10n_fr_is_company_french
            and self._is_subscription_document()
        )

    def _get_einvoice_collections(self):
        """What the payments reconciled with this invoice collected, by
        payment entry: ``{payment_move: (amount, amount_company)}``, signed
        (negative on a credit note: refunded). A credit note reconciled with
        an invoice collects nothing."""
        self.ensure_one()
        sign = 1 if self.move_type == "out_invoice" else -1
        collected = defaultdict(lambda: [0.0, 0.0])
        receivable = self.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        for line in receivable:
            for partial in line.matched_credit_ids:
                counterpart = partial.credit_move_id.move_id
                amounts = (partial.debit_amount_currency, partial.amount)
                self._add_einvoice_collection(collected, counterpart, amounts, sign)
            for partial in line.matched_debit_ids:
                counterpart = partial.debit_move_id.move_id
                amounts = (partial.credit_amount_currency, partial.amount)
                self._add_einvoice_collection(collected, counterpart, amounts, sign)
        return collected

    @api.model
    def _add_einvoice_collection(self, collected, counterpart, amounts, sign):
        if counterpart.origin_payment_id or counterpart.statement_line_id:
            collected[counterpart][0] += sign * amounts[0]
            collected[counterpart][1] += sign * amounts[1]

    def _einvoice_sync_collections(self):
        """Record a "collected" status for each payment received (or refunded)
        since the last ones recorded, and a negative one for each payment
        reversed: the statuses add up to what the payments collect."""
        connector = self.env["recurring.einvoice.connector"]
        for move in self.filtered(lambda m: m._is_einvoice_collection_tracked()):
            collected = move._get_einvoice_collections()
            reported = defaultdict(lambda: [0.0, 0.0, 0])
            for status in move.sudo().einvoice_status_ids.filtered(
                lambda s: s.source_type == "payment"
            ):
                key = status.payment_move_id
                reported[key][0] += status.amount
                reported[key][1] += status.amount_company
                reported[key][2] += 1
            company_currency = move.company_id.currency_id
            today = move.company_id._get_today()
            for payment_move in {*collected, *reported}:
                amount, amount_company = collected.get(payment_move, (0.0, 0.0))
                done, done_company, count = reported.get(payment_move, (0.0, 0.0, 0))
                delta = move.currency_id.round(amount - done)
                if move.currency_id.is_zero(delta):
                    continue
                reversal = abs(amount) < abs(done)
                status = connector._einvoice_report_status(
                    move,
                    STATUS_COLLECTED,
                    today if reversal or not payment_move else payment_move.date,
                    payment_move.name or self.env._("Payment"),
                    amount=delta,
                    amount_company=company_currency.round(
                        amount_company - done_company
                    ),
                    message=self.env._("Payment reversed.") if reversal else None,
                    source_type="payment",
                    payment_move=payment_move,
                    report_key=f"payment:{payment_move.id or 0}:{count + 1}",
                )
                self.env["recurring.ereporting.line"].sudo()._create_for_status(status)
