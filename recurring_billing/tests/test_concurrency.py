# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Real concurrent transactions on the real database.

The data is committed through independent connections (as two Odoo workers
would see it) and removed again at the end of each test.
"""

from freezegun import freeze_time
from psycopg2 import errors as pg_errors

from odoo import SUPERUSER_ID, api
from odoo.sql_db import db_connect
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..models import recurring_invoicing
from ..tools import CONTENTION_ERRORS, lock_batch
from .common_workers import SeparateWorkersCase

TODAY = "2025-01-01"


@tagged("post_install", "-at_install")
class TestConcurrentRuns(SeparateWorkersCase):
    def setUp(self):
        super().setUp()
        self._create_committed_subscriptions("Concurrency", 6, TODAY, TODAY)

    def _committed_invoices(self):
        with self._worker(commit=False) as env:
            moves = env["account.move"].search(
                [("subscription_id", "in", self.sub_ids)]
            )
            return sorted(
                (move.subscription_id.id, str(move.subscription_period_start), move.id)
                for move in moves
            )

    def _run(self, env, batch_size=100):
        with freeze_time(TODAY):
            return env["recurring.invoicing"]._cron_recurring_invoice(
                batch_size=batch_size
            )

    def test_two_workers_at_once_bill_each_period_once(self):
        cr_a = db_connect(self.env.cr.dbname).cursor()
        cr_b = db_connect(self.env.cr.dbname).cursor()
        try:
            env_a = api.Environment(
                cr_a, SUPERUSER_ID, {"allowed_company_ids": [self.company_id]}
            )
            env_b = api.Environment(
                cr_b, SUPERUSER_ID, {"allowed_company_ids": [self.company_id]}
            )
            billed_a = self._run(env_a)  # holds its locks, not committed yet
            billed_b = self._run(env_b)  # runs meanwhile
            self.assertEqual(len(billed_a), 6)
            self.assertFalse(
                billed_b, "the second worker skips what the first one holds"
            )
            cr_b.commit()
            cr_a.commit()
        finally:
            cr_a.close()
            cr_b.close()
        invoices = self._committed_invoices()
        self.assertEqual(len(invoices), 6)
        self.assertEqual(
            sorted(sub for sub, _start, _id in invoices), sorted(self.sub_ids)
        )
        # A third run later finds nothing left to bill.
        with self._worker() as env:
            self.assertFalse(self._run(env))
        self.assertEqual(len(self._committed_invoices()), 6)

    @mute_logger("odoo.sql_db")
    def test_a_stale_worker_cannot_bill_again(self):
        """A worker whose snapshot predates another worker's commit is stopped by
        the database, not by luck."""
        cr_b = db_connect(self.env.cr.dbname).cursor()
        try:
            env_b = api.Environment(
                cr_b, SUPERUSER_ID, {"allowed_company_ids": [self.company_id]}
            )
            with freeze_time(TODAY):
                domain = env_b["sale.order"]._get_subscriptions_to_invoice_domain()
                stale = env_b["sale.order"].search(
                    domain + [("id", "in", self.sub_ids)]
                )
            self.assertEqual(len(stale), 6)  # B's snapshot is taken here
            with self._worker() as env_a:
                self.assertEqual(len(self._run(env_a)), 6)
            # The database refuses B's lock (serialization failure): B bills
            # nothing, and retries in a new transaction.
            self.assertFalse(self._run(env_b))
            cr_b.rollback()
            self.assertFalse(self._run(env_b))
        finally:
            cr_b.close()
        self.assertEqual(len(self._committed_invoices()), 6)

    def test_crash_mid_batch_loses_nothing_and_rerun_finishes(self):
        with self._worker() as env:
            self.assertEqual(len(self._run(env, batch_size=3)), 3)
        first_batch = self._committed_invoices()
        self.assertEqual(len(first_batch), 3)
        # The second batch dies before its commit (worker killed, server stopped).
        with self._worker(commit=False) as env:
            self.assertEqual(len(self._run(env, batch_size=3)), 3)
        self.assertEqual(self._committed_invoices(), first_batch)
        # The rerun bills the rest, and only the rest.
        with self._worker() as env:
            self.assertEqual(len(self._run(env, batch_size=3)), 3)
            self.assertFalse(self._run(env, batch_size=3))
        invoices = self._committed_invoices()
        self.assertEqual(len(invoices), 6)
        self.assertEqual(
            sorted(sub for sub, _start, _id in invoices), sorted(self.sub_ids)
        )
        self.assertTrue(set(first_batch) <= set(invoices))

    @mute_logger("odoo.sql_db")
    def test_lock_contention_is_retried_not_flagged(self):
        """Real contention inside a subscription's own savepoint (here a lock
        timeout on its order lines) aborts the batch for the cron to retry; it
        does not flag the subscription as broken."""
        holder = db_connect(self.env.cr.dbname).cursor()
        try:
            holder.execute(
                "SELECT id FROM sale_order_line WHERE order_id = %s FOR UPDATE",
                [self.sub_ids[0]],
            )
            with self._worker(commit=False) as env:
                env.cr.execute("SET LOCAL lock_timeout = '300ms'")
                with self.assertRaises(pg_errors.LockNotAvailable):
                    self._run(env)
        finally:
            holder.rollback()
            holder.close()
        with self._worker(commit=False) as env:
            orders = env["sale.order"].browse(self.sub_ids)
            self.assertFalse(any(orders.mapped("recurring_billing_error")))
            self.assertFalse(orders.activity_ids)
        self.assertEqual(self._committed_invoices(), [])
        with self._worker() as env:
            self.assertEqual(len(self._run(env)), 6)

    def test_one_batch_lock_for_every_job(self):
        """Workers locking batches with the shared helper take disjoint
        batches in the order asked, without waiting; what one releases, the
        next takes. The invoicing job uses the same helper and the same
        contention errors."""
        cr_a = db_connect(self.env.cr.dbname).cursor()
        cr_b = db_connect(self.env.cr.dbname).cursor()
        try:
            orders_a = self._env(cr_a)["sale.order"]
            orders_b = self._env(cr_b)["sale.order"]
            domain = [("id", "in", self.sub_ids)]
            first = lock_batch(orders_a, domain, "id desc", 4)
            self.assertEqual(first.ids, sorted(self.sub_ids, reverse=True)[:4])
            second = lock_batch(orders_b, domain, "id desc", 4)
            self.assertEqual(second.ids, sorted(self.sub_ids, reverse=True)[4:])
            cr_a.rollback()
            cr_b.rollback()
            with freeze_time(TODAY):
                self._restrict_job_to_test_subscriptions()
                held = lock_batch(orders_a, domain, "id", 2)
                due = self._env(cr_b)["recurring.invoicing"]._lock_batch(100)
            self.assertEqual(sorted(due.ids), sorted(set(self.sub_ids) - set(held.ids)))
        finally:
            cr_a.close()
            cr_b.close()
        self.assertIs(recurring_invoicing.CONTENTION_ERRORS, CONTENTION_ERRORS)
