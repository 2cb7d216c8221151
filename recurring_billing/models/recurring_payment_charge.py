# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, models
from odoo.osv import expression
from odoo.tools import SQL


class RecurringPaymentCharge(models.AbstractModel):
    """The automatic-payment run: pre-notify the SEPA debits to come, then
    charge one batch of due subscription invoices with their subscription's
    saved payment method. What one invoice does is decided by the invoice
    (``account.move._recurring_charge``)."""

    _name = "recurring.payment.charge"
    _description = "Subscription Automatic Payment Run"

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    @api.model
    def _get_invoices_to_charge_domain(self):
        """Posted subscription invoices, unpaid, to charge today or before
        (each company's own today)."""
        return expression.AND(
            [
                [
                    ("move_type", "=", "out_invoice"),
                    ("state", "=", "posted"),
                    ("recurring_charge_state", "=", "to_charge"),
                    ("payment_state", "in", ("not_paid", "partial")),
                ],
                self.env["res.company"]._get_today_domain(
                    "recurring_charge_date", "<="
                ),
            ]
        )

    @api.model
    def _get_invoices_to_prenotify_domain(self):
        """Invoices to be debited by SEPA whose customer was not told yet."""
        return [
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("recurring_charge_state", "=", "to_charge"),
            ("recurring_prenotified", "=", False),
            (
                "subscription_id.payment_token_id.payment_method_id.code",
                "=",
                "sepa_direct_debit",
            ),
        ]

    @api.model
    def _lock_batch(self, domain, batch_size):
        """Select and lock, in one query, up to ``batch_size`` invoices of
        ``domain`` that no other worker holds, oldest first."""
        Move = self.env["account.move"]
        query = Move._search(
            domain, order="recurring_charge_date, id", limit=batch_size
        )
        rows = self.env.execute_query(
            SQL(
                "%s FOR NO KEY UPDATE OF %s SKIP LOCKED",
                query.select(),
                SQL.identifier(Move._table),
            )
        )
        return Move.browse(row[0] for row in rows)

    @api.model
    def _charge_invoices(self, invoices):
        """Charge ``invoices``: their transactions are created together, then
        each is sent and post-processed on its own; an invoice that cannot be
        charged is recorded with the reason, the others are charged.

        :return: the transactions created
        """
        return invoices._recurring_charge()

    # ------------------------------------------------------------
    # CRON
    # ------------------------------------------------------------

    @api.model
    def _cron_charge_invoices(self, batch_size=100):
        """Pre-notify, then charge, one batch of invoices; the cron framework
        commits after each call and calls again while work remains."""
        to_prenotify = self._lock_batch(
            self._get_invoices_to_prenotify_domain(), batch_size
        )
        to_prenotify._recurring_send_prenotification()
        invoices = self.browse()
        if len(to_prenotify) < batch_size:
            invoices = self._lock_batch(
                self._get_invoices_to_charge_domain(), batch_size - len(to_prenotify)
            )
        transactions = self._charge_invoices(invoices)
        done = len(to_prenotify) + len(invoices)
        remaining = 0
        if done == batch_size:
            Move = self.env["account.move"]
            remaining = Move.search_count(
                self._get_invoices_to_prenotify_domain()
            ) + Move.search_count(self._get_invoices_to_charge_domain())
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        return transactions
