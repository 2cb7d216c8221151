# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import time

from psycopg2 import errors as pg_errors

from odoo import api, models
from odoo.tools import SQL

from .recurring_invoicing import TURN_STARTED


class RecurringInvoicing(models.AbstractModel):
    """The turns of the recurring-invoicing job: numbering invoices, and
    posting those of journals secured by a hash, one worker at a time."""

    _inherit = "recurring.invoicing"

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    @api.model
    def _take_numbering_turn(self, journals):
        """Take the right to number invoices in ``journals`` until this
        transaction ends, waiting for another worker that holds it to commit,
        at most ``recurring_billing.numbering_wait`` seconds (system
        parameter, 60 by default; 0: not at all). ``False`` when it could
        not be taken.

        Each worker reads the last numbers from what is committed as well
        (``account.move._recurring_number_deferred``), so that it need not
        have begun after the last worker that numbered committed."""
        if not journals:
            return True
        wait = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("recurring_billing.numbering_wait", "60")
        )
        try:
            wait_ms = max(int(float(wait) * 1000), 0)
        except (ValueError, OverflowError):
            wait_ms = 60000
        self.env.cr.execute("SHOW lock_timeout")
        previous = self.env.cr.fetchone()[0]
        try:
            with self.env.cr.savepoint(flush=False):
                if wait_ms:
                    self.env.cr.execute(
                        SQL(
                            "SELECT set_config('lock_timeout', %s, true)",
                            f"{wait_ms}ms",
                        )
                    )
                self.env.cr.execute(
                    SQL(
                        "SELECT id FROM account_journal WHERE id IN %s "
                        "ORDER BY id FOR NO KEY UPDATE %s",
                        tuple(sorted(journals.ids)),
                        SQL() if wait_ms else SQL("NOWAIT"),
                    ),
                    log_exceptions=False,
                )
        except pg_errors.LockNotAvailable:
            return False
        finally:
            self.env.cr.execute(
                SQL("SELECT set_config('lock_timeout', %s, true)", previous)
            )
        self._turn_started()
        return True

    @api.model
    def _turn_started(self):
        """Note when this transaction took its first turn, for
        :meth:`_log_turn`."""
        self.env.cr.postcommit.data.setdefault(TURN_STARTED, time.perf_counter())

    @api.model
    def _take_posting_turn(self, journals):
        """Take, without waiting, the right to post invoices in those of
        ``journals`` that are secured by a hash, until this transaction ends;
        ``False`` when another worker holds it. In such a journal, Odoo's
        posting numbers and chains each invoice to the last one: it is done
        whole, one worker at a time. The invoices of other journals are
        numbered in the numbering turn (:meth:`_post_invoices`).

        The hash chains an invoice to the last one *this transaction sees*:
        a worker whose snapshot predates another worker's posting would chain
        to an older one. Every holder therefore updates the journal rows, so
        that a worker that started before such a commit meets a serialization
        failure here (and leaves its invoices to a later run) instead.
        """
        journals = journals.filtered("restrict_mode_hash_table")
        if not journals:
            return True
        ids = tuple(sorted(journals.ids))
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    SQL(
                        "SELECT id FROM account_journal WHERE id IN %s "
                        "ORDER BY id FOR NO KEY UPDATE NOWAIT",
                        ids,
                    ),
                    log_exceptions=False,
                )
                self.env.cr.execute(
                    SQL(
                        "UPDATE account_journal SET write_date = write_date "
                        "WHERE id IN %s",
                        ids,
                    ),
                    log_exceptions=False,
                )
        except (pg_errors.LockNotAvailable, pg_errors.TransactionRollbackError):
            return False
        self._turn_started()
        return True
