# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging

from psycopg2 import errors as pg_errors

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_repr

from .recurring_einvoice_status import EINVOICE_STATUSES, STATUS_DEPOSITED

_logger = logging.getLogger(__name__)


class RecurringEinvoiceConnector(models.AbstractModel):
    """The interface between the invoices and a transmission connector: an
    approved platform's ("plateforme agréée") addon, Odoo's Peppol, an OCA EDI
    backend.

    A connector is an addon that inherits this model and overrides
    :meth:`_einvoice_transmit`, the only method that talks to the platform:
    it sends one invoice's document and returns ``(source, reference)`` when
    it took the invoice, else calls ``super()``. The platform's answers come
    back through :meth:`_einvoice_report_status`, which the connector calls
    (from its webhook controller or its polling cron) for each lifecycle
    status: deposited, rejected, refused, approved... "Collected" is set by
    the invoice's payments (see ``recurring.invoice.einvoice``); a connector
    may report it too.
    """

    _name = "recurring.einvoice.connector"
    _description = "E-Invoice Transmission Connector"

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    @api.model
    def _einvoice_send(self, moves):
        """Send each of ``moves`` (posted customer invoices and credit notes)
        to the platform of the connector that takes it, and record its
        "deposited" status.

        :return: the moves sent; those no connector took are left out
        """
        sent = self.env["account.move"]
        for move in moves:
            filename, content = self._einvoice_get_document(move)
            result = self._einvoice_transmit(move, filename, content)
            if not result:
                continue
            source, reference = result
            self._einvoice_report_status(
                move,
                STATUS_DEPOSITED,
                fields.Date.context_today(self),
                source,
                reference=reference,
            )
            sent |= move
        return sent

    @api.model
    def _einvoice_transmit(self, move, filename, content):
        """Hand the document of ``move`` to the platform. Overridden by each
        connector, which calls ``super()`` for the invoices it does not
        handle (another company, another platform).

        :param move: a posted customer invoice or credit note
        :param str filename: the document's file name
        :param bytes content: the Factur-X (CII) XML of the invoice
        :return: ``(source, reference)``: the connector's name and the
            platform's reference of the deposit, or ``None`` when no
            connector took the invoice
        """
        return None

    @api.model
    def _einvoice_get_document(self, move):
        """The document sent for ``move``: its Factur-X XML.

        :return: ``(filename, content)``
        """
        if move.state != "posted" or not move.is_sale_document():
            raise UserError(
                self.env._(
                    "Only posted customer invoices and credit notes are sent as "
                    "e-invoices: %(invoice)s is not one.",
                    invoice=move.display_name,
                )
            )
        builder = self.env["account.edi.xml.cii"]
        content, errors = builder._export_invoice(move)
        if errors:
            raise UserError(
                self.env._(
                    "The e-invoice of %(invoice)s cannot be built:\n%(errors)s",
                    invoice=move.display_name,
                    errors="\n".join(errors),
                )
            )
        return builder._export_invoice_filename(move), content

    @api.model
    def _einvoice_report_status(
        self,
        move,
        code,
        date,
        source,
        amount=None,
        message=None,
        reference=None,
        source_type="connector",
        amount_company=None,
        payment_move=None,
        report_key=None,
    ):
        """Record a lifecycle status of the e-invoice ``move``: the call a
        connector makes for each status its platform reports.

        Idempotent: the same status reported twice (same code, date, source
        and amount) is recorded once, even by two concurrent calls.

        :param move: the invoice (``account.move``)
        :param str code: a status code of ``EINVOICE_STATUSES`` ("200"
            deposited, "210" refused, "212" collected, "213" rejected...)
        :param date: the day of the status
        :param str source: the connector's name (or the payment, the user)
        :param float amount: for "collected", the amount received, in the
            invoice's currency
        :param str message: the platform's text (reason of a refusal...)
        :param str reference: the platform's reference of the e-invoice
        :return: the ``recurring.einvoice.status`` record
        """
        move.ensure_one()
        if not move.is_sale_document(include_receipts=True):
            raise UserError(
                self.env._(
                    "%(move)s is no customer invoice or credit note: it has no "
                    "e-invoice status.",
                    move=move.display_name,
                )
            )
        if code not in dict(EINVOICE_STATUSES):
            raise UserError(
                self.env._("Unknown e-invoice status code %(code)s.", code=code)
            )
        date = fields.Date.to_date(date)
        currency = move.currency_id
        if amount is not None:
            amount = currency.round(amount)
            if amount_company is None:
                amount_company = move.company_id.currency_id.round(
                    currency._convert(
                        amount, move.company_id.currency_id, move.company_id, date
                    )
                )
        if not report_key:
            report_key = ":".join(
                [
                    source_type,
                    source,
                    code,
                    date.isoformat(),
                    float_repr(amount, currency.decimal_places)
                    if amount is not None
                    else "",
                ]
            )
        Status = self.env["recurring.einvoice.status"].sudo()
        domain = [("move_id", "=", move.id), ("report_key", "=", report_key)]
        existing = Status.search(domain, limit=1)
        if existing:
            return existing
        vals = {
            "move_id": move.id,
            "code": code,
            "date": date,
            "source": source,
            "source_type": source_type,
            "amount": amount or 0.0,
            "amount_company": amount_company or 0.0,
            "message": message,
            "reference": reference,
            "payment_move_id": payment_move.id if payment_move else False,
            "report_key": report_key,
        }
        try:
            with self.env.cr.savepoint():
                status = Status.create(vals)
                status.flush_recordset()
        except pg_errors.UniqueViolation:
            # Reported at the same time by another transaction.
            return Status.search(domain, limit=1)
        if source_type != "payment":
            move.sudo().message_post(body=status._get_chatter_text())
        return status.sudo(False)
