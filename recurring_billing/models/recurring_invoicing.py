# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging
import time
from collections import defaultdict
from datetime import timedelta

from psycopg2 import errors as pg_errors

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date

from ..tools import CONTENTION_ERRORS, lock_batch, quiet_contention

_logger = logging.getLogger(__name__)

# A serialization failure or a deadlock only says that another worker changed
# the same rows first: the batch is rolled back and taken again in a new
# transaction, which sees that worker's commit.
RETRY_DELAY = timedelta(seconds=10)
QUEUE_JOB_CHANNEL = "recurring_billing"
# Kept in the transaction's postcommit data (kept until it ends, unlike
# precommit data, which each flush clears): when it took its first turn.
TURN_STARTED = "recurring_billing.turn_started"

# The database's guards against a day billed twice (18.0.2's unique index
# until a database is migrated, then the exclusion constraint).
PERIOD_CONSTRAINTS = (
    "account_move_subscription_period_excl",
    "account_move_subscription_period_uniq",
)


class NumberingTurnTaken(Exception):
    """Another worker holds the numbering turn: undo the posting."""


class RecurringInvoicing(models.AbstractModel):
    """The recurring-invoicing run, as ``account.move.send`` is Odoo's sending
    run: it takes a batch of due subscriptions, locks it, bills it in one go
    and falls back to one subscription at a time when the batch fails. What
    one subscription bills is decided by the subscription itself
    (``sale.order._recurring_prepare_due``)."""

    _name = "recurring.invoicing"
    _description = "Recurring Invoicing"

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    @api.model
    def _lock_batch(self, batch_size):
        """Select and lock, in one query, the next ``batch_size`` due
        subscriptions that no other worker holds, oldest due first."""
        SaleOrder = self.env["sale.order"]
        return lock_batch(
            SaleOrder,
            SaleOrder._get_subscriptions_to_invoice_domain(),
            "next_invoice_date, id",
            batch_size,
        )

    @api.model
    def _create_invoices(self, vals_list, post=True):
        """Create the subscription invoices of ``vals_list`` in one go per
        company, post those whose template says so (unless ``post`` is false),
        and queue them for Odoo's own sending job (PDF + email).

        Odoo's invoice creation and posting work on recordsets: computes,
        sequence numbers, hashes and tracking are done once for the batch
        instead of once per invoice, and nothing an accountant relies on is
        skipped.

        Within the job (context key ``recurring_defer_posting``), creating
        and posting invoices runs on several workers at once, numbering them
        one worker at a time (:meth:`_post_invoices`); when the turn cannot
        be taken, the invoices are left in draft, marked
        ``recurring_post_pending``, and the next run posts them
        (:meth:`_post_pending_invoices`).
        """
        moves = self.env["account.move"]
        vals_by_company = defaultdict(list)
        for vals in vals_list:
            vals_by_company[vals["company_id"]].append(vals)
        for company_id, company_vals in vals_by_company.items():
            Move = (
                self.env["account.move"]
                .with_company(company_id)
                .with_context(default_move_type="out_invoice", mail_create_nolog=True)
            )
            # Odoo searches the default journal of each invoice it creates:
            # once per currency here, the same search.
            journals = {}
            for vals in company_vals:
                if vals.get("journal_id"):
                    continue
                key = (vals.get("move_type", "out_invoice"), vals.get("currency_id"))
                if key not in journals:
                    journals[key] = Move.new(
                        {
                            "move_type": key[0],
                            "company_id": company_id,
                            "currency_id": key[1],
                        }
                    )._search_default_journal()
                vals["journal_id"] = journals[key].id
            created = Move.create(company_vals)
            if not (
                self.env.context.get("mail_create_nolog")
                or self.env.context.get("tracking_disable")
            ):
                # The chatter's creation entries, written for the batch at once.
                created._log_creation_messages()
            moves |= created.with_env(self.env)
        if self.env.context.get("recurring_post_later"):
            # The caller posts them (:meth:`_invoice_and_post`).
            return moves
        to_post = self._get_invoices_to_post(moves) if post else moves.browse()
        if (
            to_post
            and self.env.context.get("recurring_defer_posting")
            and not self._take_posting_turn(to_post.journal_id)
        ):
            to_post.recurring_post_pending = True
        else:
            self._post_invoices(to_post)
        return moves

    @api.model
    def _get_invoices_to_post(self, moves):
        """The invoices of ``moves`` that their subscription's template posts."""
        return moves.filtered(
            lambda move: not move.subscription_id.sale_order_template_id
            or move.subscription_id.sale_order_template_id.auto_post
        )

    @api.model
    def _post_invoices(self, moves):
        """Post ``moves`` (in date order, as Odoo numbers them) and mark those
        whose template sends invoices for Odoo's sending job.

        Within the job (context key ``recurring_defer_posting``), everything
        Odoo's posting does is done while other workers do the same, but the
        numbers: they are given last, in the numbering turn of their journals
        (:meth:`_take_numbering_turn`), held until the transaction ends. When
        the turn cannot be taken, the posting is undone and the invoices are
        left to number, in draft, for a later run. Returns the posted
        invoices."""
        if not moves:
            return moves
        to_send = moves.filtered(
            lambda move: move.subscription_id
            and move.subscription_id._get_subscription_mail_template("invoice")
        )
        sending_data = {
            "author_user_id": self.env.user.id,
            "author_partner_id": self.env.user.partner_id.id,
            "sending_methods": ["email"],
        }
        if not self.env.context.get("recurring_defer_posting"):
            # What Odoo's posting does once per invoice (subscribe the
            # customer, tick "checked", date the delivery, raise the customer
            # rank), done once for the batch.
            moves._prepare_batch_post(to_send, sending_data)
            self._action_post(moves)
            return moves
        # Not a flushing savepoint, which would finalise the tracking of the
        # posting before the commit.
        self.env.flush_all()
        try:
            with (
                self.env.cr.savepoint(flush=False),
                moves._recurring_numbering_deferred() as deferred,
            ):
                moves._prepare_batch_post(to_send, sending_data)
                self._action_post(moves)
                # All written before the turn, whose time is serial.
                self.env.flush_all()
                if not self._take_numbering_turn(deferred.journal_id):
                    raise NumberingTurnTaken
        except NumberingTurnTaken:
            self.env.invalidate_all()
            moves.recurring_post_pending = True
            return moves.browse()
        return moves

    @api.model
    def _action_post(self, moves):
        with self.env["res.partner"]._batch_rank_increases() as env:
            moves.with_env(env).with_context(recurring_batch_post=True).action_post()

    @api.model
    def _post_pending_invoices(self, limit=100):
        """Post, oldest first, up to ``limit`` invoices that a worker left in
        draft while another one was numbering (``recurring_post_pending``),
        when this worker can take the posting turn of their journals. An
        invoice that cannot be posted stays in draft with the reason in its
        chatter, and its subscription is flagged."""
        started = time.perf_counter()
        pending = self.env["account.move"].search(
            [("recurring_post_pending", "=", True)],
            order="invoice_date, id",
            limit=limit,
        )
        if not pending or not self._take_posting_turn(pending.journal_id):
            return self.env["account.move"]
        pending.recurring_post_pending = False
        to_post = pending.filtered(lambda move: move.state == "draft")
        # Odoo names the first draft of a period at creation, from the last
        # number its worker could see then: number them afresh now.
        to_post.filtered(lambda move: not move.posted_before).name = "/"
        try:
            with self.env.cr.savepoint():
                posted = self._post_invoices(to_post)
        except CONTENTION_ERRORS:
            raise
        except Exception as error:  # noqa: BLE001 - retried one at a time below
            _logger.info("Posting %s invoices one at a time: %s", len(to_post), error)
            posted = self._post_one_by_one(to_post)
        if posted.filtered("sending_data"):
            self.env.ref("account.ir_cron_account_move_send")._trigger()
        self._log_turn(len(to_post), started)
        return posted

    @api.model
    def _post_one_by_one(self, to_post):
        """Post ``to_post`` one at a time: one that fails stays in draft with
        the reason in its chatter, and its subscription is flagged."""
        posted = self.env["account.move"]
        for move in to_post:
            try:
                with self.env.cr.savepoint():
                    posted |= self._post_invoices(move)
            except CONTENTION_ERRORS:
                raise
            except Exception as error:  # noqa: BLE001 - isolate one bad invoice
                _logger.warning("Invoice %s could not be posted: %s", move.id, error)
                move.message_post(
                    body=self.env._(
                        "The recurring-invoicing job could not post this invoice: "
                        "%(error)s",
                        error=error,
                    )
                )
                move.subscription_id._recurring_flag_error(error)
        return posted

    @api.model
    def _invoice_batch(self, subscriptions):
        """Invoice ``subscriptions`` together, each up to its company's today.

        All or nothing: any error leaves the caller to roll back and retry the
        subscriptions one at a time (:meth:`_invoice_one_by_one`).
        """
        vals_list = []
        # What the batch's invoices already bill, and what each line's invoice
        # values read (Odoo's sale flow reads them one order at a time), read
        # once for the batch.
        billed = subscriptions._get_billed_periods_by_subscription()
        subscriptions.order_line.fetch(["tax_id", "invoice_lines"])
        for subscription in subscriptions:
            subscription = subscription.with_company(subscription.company_id)
            vals_list += subscription._recurring_prepare_due(
                subscription.company_id._get_today(),
                billed_periods=billed.get(subscription.id),
            )
        return self._create_invoices(vals_list)

    @api.model
    def _invoice_one_by_one(self, subscriptions):
        """Invoice ``subscriptions`` one at a time, each in its own savepoint:
        one that fails is flagged with the reason, the others are billed."""
        invoiced = self.env["account.move"]
        for subscription in subscriptions:
            subscription = subscription.with_company(subscription.company_id)
            try:
                with self.env.cr.savepoint():
                    invoiced |= subscription._recurring_invoice_due(
                        subscription.company_id._get_today()
                    )
            except CONTENTION_ERRORS:
                raise
            except (pg_errors.UniqueViolation, pg_errors.ExclusionViolation) as error:
                if error.diag.constraint_name not in PERIOD_CONSTRAINTS:
                    # An invoice number another worker took meanwhile
                    # (account_move_unique_name): contention, not the
                    # subscription's fault; the batch is run again.
                    raise
                # The database refused to bill a day twice. The engine leaves
                # out what is billed before inserting, so another run billed
                # it meanwhile (then flagging fails on contention and the
                # batch is retried) or the data changed under it: the
                # subscription is flagged and leaves the job's domain, never
                # retried forever. Nothing is lost.
                _logger.info(
                    "Subscription %s: a day of its next period is already "
                    "invoiced; flagged.",
                    subscription.id,
                )
                subscription.invalidate_recordset()
                subscription._recurring_flag_error(
                    UserError(
                        self.env._(
                            "The next period of subscription %(order)s (due on "
                            "%(date)s) overlaps a period that another invoice "
                            "already bills: nothing was billed twice. Check the "
                            "next invoice date and the subscription's invoices, "
                            "then retry.",
                            order=subscription.name,
                            date=format_date(self.env, subscription.next_invoice_date),
                        )
                    )
                )
            except Exception as error:  # noqa: BLE001 - isolate one bad record
                # The traceback goes to the log for whoever debugs it; the
                # user sees the reason on the subscription.
                _logger.warning(
                    "Subscription %s could not be invoiced: %s",
                    subscription.id,
                    error,
                    exc_info=True,
                )
                subscription.invalidate_recordset()
                subscription._recurring_flag_error(error)
        return invoiced

    @api.model
    def _invoice_locked(self, subscriptions):
        """Invoice ``subscriptions`` (locked by this transaction) in one go, or
        one at a time when the batch fails; queue the posted invoices for
        Odoo's sending job."""
        try:
            with self.env.cr.savepoint():
                invoiced = self._invoice_batch(subscriptions)
        except CONTENTION_ERRORS:
            raise
        except Exception as error:  # noqa: BLE001 - retried one at a time below
            _logger.info(
                "Batch of %s subscriptions rolled back (%s): "
                "invoicing them one at a time.",
                len(subscriptions),
                error,
            )
            invoiced = self._invoice_one_by_one(subscriptions)
        if invoiced.filtered("sending_data"):
            self.env.ref("account.ir_cron_account_move_send")._trigger()
        return invoiced

    @api.model
    def _invoice_and_post(self, subscriptions, limit):
        """Invoice ``subscriptions`` in one go, then post their invoices and
        up to ``limit`` invoices left to number, in date order, numbering
        them in one numbering turn taken as late as possible.

        The turn lasts until the transaction ends, so whatever follows it is
        done by one worker at a time. Before it, while other workers do the
        same: the invoices, their lines and taxes, followers and chatter, and
        all that posting does but the numbers (:meth:`_post_invoices`).
        Within it: the numbers, what follows from them (payment reference,
        the number on the journal items) and the commit. In a journal
        secured by a hash, the whole posting is in the turn
        (:meth:`_take_posting_turn`). Without the turn, the invoices are left
        to number.

        All or nothing: any error leaves the caller to roll back and take the
        invoices one at a time.
        """
        started = time.perf_counter()
        Move = self.env["account.move"]
        moves = self.with_context(recurring_post_later=True)._invoice_batch(
            subscriptions
        )
        to_post = self._get_invoices_to_post(moves)
        pending = Move.search(
            [("recurring_post_pending", "=", True)],
            order="invoice_date, id",
            limit=limit,
        )
        self.env.flush_all()
        journals = to_post.journal_id | pending.journal_id
        if not journals or not self._take_posting_turn(journals):
            to_post.recurring_post_pending = True
            if moves:
                self._log_turn(len(moves), started)
            return moves
        pending.recurring_post_pending = False
        pending = pending.filtered(lambda move: move.state == "draft")
        # Odoo names the first draft of a period at creation, from the last
        # number its worker could see then: number them afresh now.
        pending.filtered(lambda move: not move.posted_before).name = "/"
        posted = self._post_invoices(
            (pending | to_post).sorted(
                lambda move: (move.invoice_date or move.date, move.id)
            )
        )
        self.env.flush_all()
        if posted.filtered("sending_data"):
            self.env.ref("account.ir_cron_account_move_send")._trigger()
        self._log_turn(len(moves) + len(pending), started)
        return moves

    @api.model
    def _log_turn(self, count, started):
        """Log, once the transaction is committed, how long the batch took and
        how much of it was spent in the numbering turn (from when this
        transaction took it to the end of the commit): the serial part of the
        job, which no number of workers shortens."""
        turn = self.env.cr.postcommit.data.get(TURN_STARTED)

        def log():
            end = time.perf_counter()
            _logger.info(
                "Recurring invoicing: %s invoices in %.3fs, %.3fs of it in the "
                "numbering turn.",
                count,
                end - started,
                end - turn if turn else 0.0,
            )

        self.env.cr.postcommit.add(log)

    @api.model
    def _invoice_next_batch(self, batch_size):
        """Lock the next free batch of due subscriptions and invoice it
        (:meth:`_invoice_and_post`); when that fails, post the invoices left
        to number and invoice the subscriptions one at a time
        (:meth:`_post_pending_invoices`, :meth:`_invoice_locked`): one that
        cannot be billed is flagged, the others are.

        Returns ``(subscriptions, invoices)``. When another worker committed a
        change to the same rows after this transaction began (serialization
        failure) or two workers wait on each other (deadlock), the batch is
        rolled back, logged at INFO (not as an error), and ``(None, no
        invoices)`` is returned: only a new transaction, which sees the other
        worker's commit, can take it again.
        """
        Invoicing = self.with_context(recurring_defer_posting=True)
        try:
            with quiet_contention(), self.env.cr.savepoint():
                # Lock first: the sooner after the transaction's snapshot, the
                # less likely another worker committed those rows meanwhile.
                subscriptions = Invoicing._lock_batch(batch_size)
                try:
                    with self.env.cr.savepoint():
                        invoiced = Invoicing._invoice_and_post(
                            subscriptions, batch_size
                        )
                except CONTENTION_ERRORS:
                    raise
                except Exception as error:  # noqa: BLE001 - retried below
                    _logger.info(
                        "Batch of %s subscriptions rolled back (%s): "
                        "invoicing them one at a time.",
                        len(subscriptions),
                        error,
                    )
                    Invoicing._post_pending_invoices(batch_size)
                    invoiced = Invoicing._invoice_locked(subscriptions)
        except pg_errors.TransactionRollbackError as error:
            _logger.info(
                "Recurring invoicing: concurrent update (%s), batch rolled back "
                "and taken again in a new transaction.",
                (error.diag.message_primary or error.pgcode or "").strip(),
            )
            return None, self.env["account.move"]
        return subscriptions, invoiced

    # ------------------------------------------------------------
    # CRON AND JOB ENTRY POINTS
    # ------------------------------------------------------------

    @api.model
    def _cron_recurring_invoice(self, batch_size=100):
        """Bill one batch of due subscriptions; the cron framework commits
        after each call and calls again while work remains.

        Several cron entries running this method bill disjoint batches at
        once. When OCA ``queue_job`` is used (:meth:`_use_queue_job`), the
        cron only enqueues one job per batch on the ``root.recurring_billing``
        channel, whose capacity sets how many run at once.
        """
        SaleOrder = self.env["sale.order"]
        if self._use_queue_job():
            jobs = self._enqueue_batches(batch_size)
            self.env["ir.cron"]._notify_progress(done=jobs, remaining=0)
            return self.env["account.move"]
        subscriptions, invoiced = self._invoice_next_batch(batch_size)
        pending = self.env["account.move"].search_count(
            [("recurring_post_pending", "=", True)]
        )
        if subscriptions is None or pending:
            # Contention with another worker, or invoices left to number while
            # another worker numbered: this transaction cannot see that
            # worker's commit. Run again shortly.
            cron = self.env["ir.cron"].browse(self.env.context.get("cron_id"))
            cron = cron.exists() or self.env.ref(
                "recurring_billing.ir_cron_recurring_invoice"
            )
            cron.sudo()._trigger(fields.Datetime.now() + RETRY_DELAY)
        # A batch smaller than asked means the rest is due nowhere or held by
        # other workers: this worker has nothing more to do.
        remaining = pending
        if subscriptions is None or len(subscriptions) == batch_size:
            remaining += SaleOrder.search_count(
                SaleOrder._get_subscriptions_to_invoice_domain()
            )
        self.env["ir.cron"]._notify_progress(
            done=len(subscriptions or ()), remaining=remaining
        )
        return invoiced
