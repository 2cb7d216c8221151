# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta

from odoo import api, fields, models, modules, tools
from odoo.osv import expression
from odoo.tools import SQL

from ..tools import CONTENTION_ERRORS, lock_batch
from .payment_transaction import LIVE_STATES

# How long an automatic charge may stay without an answer, or pending, before
# its payment provider is asked what became of it (minutes).
DEFAULT_CHECK_DELAY = 30


class RecurringPaymentCharge(models.AbstractModel):
    """The automatic-payment run: pre-notify the SEPA debits to come, then
    charge one batch of due subscription invoices with their subscription's
    saved payment method; and, on its own schedule, ask the providers what
    became of the charges whose answer was lost or is still awaited. What one
    invoice does is decided by the invoice (``account.move._recurring_charge``).
    """

    _name = "recurring.payment.charge"
    _description = "Subscription Automatic Payment Run"

    # ------------------------------------------------------------
    # BUSINESS METHODS: COMMIT BOUNDARIES
    # ------------------------------------------------------------

    @api.model
    def _can_commit(self):
        """Whether each charge may be committed on its own: only for a caller
        that owns its transaction (the jobs, *Charge Now*: context key
        ``recurring_charge_commit``), and never inside a test's transaction
        (as Odoo's ``account.move._can_commit``). Otherwise the same steps run
        in savepoints of the caller's transaction."""
        return bool(
            self.env.context.get("recurring_charge_commit")
            and not tools.config["test_enable"]
            and not modules.module.current_test
        )

    @api.model
    def _commit(self, contention_ok=False):
        """Commit what was done so far (see ``_can_commit``).

        :param contention_ok: a lock or serialisation failure at commit means
            another worker (a webhook, say) recorded the same thing meanwhile:
            roll back instead of raising
        """
        if not self._can_commit():
            self.env.flush_all()
            return
        try:
            self.env.cr.commit()  # pylint: disable=invalid-commit
        except CONTENTION_ERRORS:
            if not contention_ok:
                raise
            self.env.cr.rollback()

    @api.model
    def _rollback(self, error):
        """Give up what was done since the last commit, after the lock or
        serialisation failure ``error``; without commit boundaries, ``error``
        is raised again and the caller retries the whole run."""
        if not self._can_commit():
            raise error
        self.env.cr.rollback()

    @api.model
    def _lock_records(self, records):
        """Lock ``records`` for this worker, skipping the ones another holds.

        :return: the records locked
        """
        if not records:
            return records
        rows = self.env.execute_query(
            SQL(
                "SELECT id FROM %s WHERE id IN %s FOR NO KEY UPDATE SKIP LOCKED",
                SQL.identifier(records._table),
                tuple(records.ids),
            )
        )
        return records.browse(row[0] for row in rows)

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
    def _get_charge_check_delay(self):
        """Minutes after which a charge without answer, or pending, is asked
        of its provider (system parameter
        ``recurring_billing.charge_check_delay``)."""
        value = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("recurring_billing.charge_check_delay", DEFAULT_CHECK_DELAY)
        )
        try:
            return max(int(value), 0)
        except (TypeError, ValueError):
            return DEFAULT_CHECK_DELAY

    @api.model
    def _get_charges_to_check_domain(self):
        """Automatic charges whose answer was lost, still pending, or settled
        but not post-processed yet (Odoo's post-processing failed: the
        payment is not recorded), that were not checked for longer than the
        delay."""
        limit = fields.Datetime.now() - timedelta(
            minutes=self._get_charge_check_delay()
        )
        return [
            ("recurring_invoice_id", "!=", False),
            "|",
            "&",
            ("state", "in", LIVE_STATES),
            "|",
            ("recurring_outcome_unknown", "=", True),
            ("state", "=", "pending"),
            "&",
            ("state", "in", ("done", "cancel", "error")),
            ("is_post_processed", "=", False),
            "|",
            ("recurring_checked_datetime", "=", False),
            ("recurring_checked_datetime", "<=", limit),
        ]

    @api.model
    def _lock_batch(self, domain, batch_size):
        """Select and lock, in one query, up to ``batch_size`` invoices of
        ``domain`` that no other worker holds, oldest first."""
        return lock_batch(
            self.env["account.move"], domain, "recurring_charge_date, id", batch_size
        )

    @api.model
    def _charge_invoices(self, invoices):
        """Charge ``invoices``, each on its own commit boundaries; an invoice
        that cannot be charged is recorded with the reason, the others are
        charged.

        :return: the transactions created
        """
        transactions = self.env["payment.transaction"].sudo()
        for company, moves in invoices.grouped("company_id").items():
            transactions |= company._with_job_lang(moves)._recurring_charge()
        return transactions

    @api.model
    def _check_charges(self, transactions):
        """Ask the providers what became of ``transactions``, each on its own
        commit boundaries.

        :return: the transactions settled (paid, failed or cancelled)
        """
        settled = self.env["payment.transaction"]
        for tx in transactions.sudo():
            invoice = tx.company_id._with_job_lang(
                tx.recurring_invoice_id.with_company(tx.company_id)
            )
            if invoice._recurring_check_charge(tx.with_company(tx.company_id)):
                settled |= tx
        return settled

    # ------------------------------------------------------------
    # CRON
    # ------------------------------------------------------------

    @api.model
    def _cron_charge_invoices(self, batch_size=100):
        """Pre-notify, then charge, one batch of invoices; the framework
        calls again while work remains. Each charge is committed on its own,
        before and after its request to the provider."""
        self = self.with_context(recurring_charge_commit=True)
        to_prenotify = self._lock_batch(
            self._get_invoices_to_prenotify_domain(), batch_size
        )
        to_prenotify._recurring_send_prenotification()
        # The charges' batch is locked on a fresh snapshot.
        self._commit()
        invoices = self.env["account.move"]
        contention = False
        if len(to_prenotify) < batch_size:
            try:
                invoices = self._lock_batch(
                    self._get_invoices_to_charge_domain(),
                    batch_size - len(to_prenotify),
                )
            except CONTENTION_ERRORS as error:
                # Another worker took some of them meanwhile: next call.
                self._rollback(error)
                contention = True
        transactions = self._charge_invoices(invoices)
        done = len(to_prenotify) + len(invoices)
        remaining = int(contention)
        if done == batch_size:
            Move = self.env["account.move"]
            remaining = Move.search_count(
                self._get_invoices_to_prenotify_domain()
            ) + Move.search_count(self._get_invoices_to_charge_domain())
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        return transactions

    @api.model
    def _cron_check_charges(self, batch_size=100):
        """Ask the payment providers what became of one batch of charges whose
        answer was lost, or that are still pending, past the delay; send
        again, with the same reference and idempotency key, those the
        provider never received."""
        self = self.with_context(recurring_charge_commit=True)
        Transaction = self.env["payment.transaction"].sudo()
        domain = self._get_charges_to_check_domain()
        transactions = Transaction.search(
            domain, order="recurring_checked_datetime, id", limit=batch_size
        )
        settled = self._check_charges(transactions)
        remaining = 0
        if len(transactions) == batch_size:
            remaining = Transaction.search_count(self._get_charges_to_check_domain())
        self.env["ir.cron"]._notify_progress(
            done=len(transactions), remaining=remaining
        )
        return settled
