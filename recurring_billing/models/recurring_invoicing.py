# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging
from collections import defaultdict

import psycopg2
from psycopg2 import errors as pg_errors

from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_date

_logger = logging.getLogger(__name__)

# Contention (serialization failure, deadlock) or a lost connection says
# nothing of a subscription: the cron rolls the batch back and runs it again.
CONTENTION_ERRORS = (psycopg2.OperationalError, pg_errors.TransactionRollbackError)
# The database's guards against a day billed twice (18.0.2's unique index
# until a database is migrated, then the exclusion constraint).
PERIOD_CONSTRAINTS = (
    "account_move_subscription_period_excl",
    "account_move_subscription_period_uniq",
)


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
        query = SaleOrder._search(
            SaleOrder._get_subscriptions_to_invoice_domain(),
            order="next_invoice_date, id",
            limit=batch_size,
        )
        rows = self.env.execute_query(
            SQL(
                "%s FOR NO KEY UPDATE OF %s SKIP LOCKED",
                query.select(),
                SQL.identifier(SaleOrder._table),
            )
        )
        return SaleOrder.browse(row[0] for row in rows)

    @api.model
    def _create_invoices(self, vals_list, post=True):
        """Create the subscription invoices of ``vals_list`` in one go per
        company, post those whose template says so (unless ``post`` is false),
        and queue them for Odoo's own sending job (PDF + email).

        Odoo's invoice creation and posting work on recordsets: computes,
        sequence numbers, hashes and tracking are done once for the batch
        instead of once per invoice, and nothing an accountant relies on is
        skipped.
        """
        moves = self.env["account.move"]
        vals_by_company = defaultdict(list)
        for vals in vals_list:
            vals_by_company[vals["company_id"]].append(vals)
        for company_id, company_vals in vals_by_company.items():
            moves |= (
                self.env["account.move"]
                .with_company(company_id)
                .with_context(default_move_type="out_invoice")
                .create(company_vals)
            )
        to_post = moves.filtered(
            lambda move: post
            and (
                not move.subscription_id.sale_order_template_id
                or move.subscription_id.sale_order_template_id.auto_post
            )
        )
        if to_post:
            to_post.action_post()
        to_send = to_post.filtered(
            lambda move: move.subscription_id._get_subscription_mail_template("invoice")
        )
        if to_send:
            to_send.sending_data = {
                "author_user_id": self.env.user.id,
                "author_partner_id": self.env.user.partner_id.id,
                "sending_methods": ["email"],
            }
        return moves

    @api.model
    def _invoice_batch(self, subscriptions):
        """Invoice ``subscriptions`` together, each up to its company's today.

        All or nothing: any error leaves the caller to roll back and retry the
        subscriptions one at a time (:meth:`_invoice_one_by_one`).
        """
        vals_list = []
        for subscription in subscriptions:
            subscription = subscription.with_company(subscription.company_id)
            vals_list += subscription._recurring_prepare_due(
                subscription.company_id._get_today()
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

    # ------------------------------------------------------------
    # CRON
    # ------------------------------------------------------------

    @api.model
    def _cron_recurring_invoice(self, batch_size=100):
        """Bill one batch of due subscriptions; the cron framework commits
        after each call and calls again while work remains."""
        subscriptions = self._lock_batch(batch_size)
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
        # A batch smaller than asked means the rest is due nowhere or held by
        # other workers: this worker has nothing more to do.
        remaining = 0
        if len(subscriptions) == batch_size:
            remaining = self.env["sale.order"].search_count(
                self.env["sale.order"]._get_subscriptions_to_invoice_domain()
            )
        self.env["ir.cron"]._notify_progress(
            done=len(subscriptions), remaining=remaining
        )
        return invoiced
