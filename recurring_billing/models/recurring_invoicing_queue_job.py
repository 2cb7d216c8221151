# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import math
from datetime import timedelta

import odoo
from odoo import api, models
from odoo.tools import str2bool

from ..tools import quiet_contention
from .recurring_invoicing import QUEUE_JOB_CHANNEL, RETRY_DELAY

# A numbering turn lasts a few seconds: the invoices a job left to number are
# posted soon after it ends, not a whole retry delay later.
POST_PENDING_DELAY = timedelta(seconds=2)


class RecurringInvoicing(models.AbstractModel):
    """The recurring-invoicing run spread over OCA ``queue_job`` jobs: one job
    per batch, on the ``root.recurring_billing`` channel."""

    _inherit = "recurring.invoicing"

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    @api.model
    def _use_queue_job(self):
        """Whether the cron hands the batches to OCA ``queue_job``.

        Yes when ``queue_job`` is installed in the database and its job runner
        runs in this server (``queue_job`` loaded as a server-wide module),
        otherwise the jobs would wait forever; the system parameter
        ``recurring_billing.use_queue_job`` (``True``/``False``) overrides it.
        """
        if "queue.job" not in self.env:
            return False
        forced = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("recurring_billing.use_queue_job")
        )
        if forced:
            return str2bool(forced, default=False)
        return "queue_job" in odoo.conf.server_wide_modules

    @api.model
    def _ensure_queue_job_function(self):
        """The ``root.recurring_billing`` channel and the job function of
        :meth:`_job_invoice_batch`, created on first use so that ``queue_job``
        stays optional. The channel's capacity, set in the job runner's
        configuration, is the number of batches billed at once."""
        Function = self.env["queue.job.function"].sudo()
        methods = ("_job_invoice_batch", "_job_post_pending")
        names = [Function.job_function_name(self._name, method) for method in methods]
        if Function.search_count([("name", "in", names)]) == len(names):
            return
        Channel = self.env["queue.job.channel"].sudo()
        root = self.env.ref("queue_job.channel_root")
        channel = Channel.search(
            [("name", "=", QUEUE_JOB_CHANNEL), ("parent_id", "=", root.id)], limit=1
        ) or Channel.create({"name": QUEUE_JOB_CHANNEL, "parent_id": root.id})
        existing = Function.search([("name", "in", names)]).mapped("method")
        Function.create(
            [
                {
                    "model_id": self.env["ir.model"]._get_id(self._name),
                    "method": method,
                    "channel_id": channel.id,
                }
                for method in methods
                if method not in existing
            ]
        )

    @api.model
    def _enqueue_batches(self, batch_size):
        """Hand the due subscriptions to ``queue_job``: one job per batch of
        ``batch_size``, less the jobs already waiting. Each job takes the next
        free batch when it runs, so the jobs never overlap and any number of
        them may run at once. Returns the number of jobs enqueued."""
        self._ensure_queue_job_function()
        SaleOrder = self.env["sale.order"]
        due = SaleOrder.search_count(SaleOrder._get_subscriptions_to_invoice_domain())
        waiting = (
            self.env["queue.job"]
            .sudo()
            .search_count(
                [
                    ("model_name", "=", self._name),
                    ("method_name", "=", "_job_invoice_batch"),
                    ("state", "in", ("wait_dependencies", "pending", "enqueued")),
                ]
            )
        )
        count = max(math.ceil(due / batch_size) - waiting, 0)
        for index in range(count):
            self.with_delay(
                description=self.env._(
                    "Recurring invoicing: batch %(index)s of %(count)s",
                    index=index + 1,
                    count=count,
                )
            )._job_invoice_batch(batch_size)
        self._enqueue_post_pending()
        return count

    # ------------------------------------------------------------
    # JOB ENTRY POINTS
    # ------------------------------------------------------------

    @api.model
    def _job_invoice_batch(self, batch_size=100):
        """``queue_job`` job: bill the next free batch of due subscriptions.
        Contention with another worker is retried by ``queue_job`` later;
        invoices left to number are posted by :meth:`_job_post_pending`."""
        subscriptions, invoiced = self._invoice_next_batch(batch_size)
        if subscriptions is None:
            from odoo.addons.queue_job.exception import RetryableJobError

            raise RetryableJobError(
                "Concurrent update: batch retried", seconds=RETRY_DELAY.seconds
            )
        if any(invoiced.mapped("recurring_post_pending")):
            self._enqueue_post_pending_after_commit()
        else:
            self._enqueue_post_pending()
        return self.env._(
            "%(subscriptions)s subscriptions, %(invoices)s invoices",
            subscriptions=len(subscriptions),
            invoices=len(invoiced),
        )

    @api.model
    def _enqueue_post_pending(self):
        """Enqueue :meth:`_job_post_pending` when invoices wait to be numbered
        and no such job waits to start. The job is retried until no other
        worker holds the numbering turn: it ends as soon as nothing waits to
        be numbered."""
        if self.env["account.move"].search_count(
            [("recurring_post_pending", "=", True)], limit=1
        ):
            self.with_delay(
                description=self.env._("Recurring invoicing: post invoices"),
                eta=POST_PENDING_DELAY.seconds,
                max_retries=0,
                identity_key="recurring_billing_post_pending",
            )._job_post_pending()

    @api.model
    def _enqueue_post_pending_after_commit(self):
        """Once this transaction is committed, :meth:`_enqueue_post_pending`
        in a new one: a posting job this transaction sees waiting may have
        started since, before this commit, and would not see the invoices
        this transaction left to number; the new transaction sees whether it
        did."""
        env = self.env

        def enqueue():
            with env.registry.cursor() as cr:
                self.with_env(env(cr=cr))._enqueue_post_pending()

        env.cr.postcommit.add(enqueue)

    @api.model
    def _job_post_pending(self, limit=500):
        """``queue_job`` job: post the invoices left to number, when no other
        worker is numbering; retried later otherwise."""
        with quiet_contention():
            posted = self.with_context(
                recurring_defer_posting=True
            )._post_pending_invoices(limit)
        if not posted and self.env["account.move"].search_count(
            [("recurring_post_pending", "=", True)], limit=1
        ):
            from odoo.addons.queue_job.exception import RetryableJobError

            raise RetryableJobError(
                "Another worker is numbering invoices",
                seconds=POST_PENDING_DELAY.seconds,
            )
        self._enqueue_post_pending()
        return self.env._("%(count)s invoices posted", count=len(posted))
