# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Several workers billing at once, on real concurrent connections.

Each worker is an independent connection to the database, as two Odoo cron
threads, two servers or two ``queue_job`` jobs are; what a worker commits is
committed for real, and removed again at the end of each test.
"""

import logging
import re
import threading
import time
from contextlib import contextmanager

from freezegun import freeze_time

from odoo.sql_db import db_connect
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import RecurringBillingCommon
from .common_workers import SeparateWorkersCase

TODAY = "2025-01-01"
COUNT = 12


@tagged("post_install", "-at_install")
class TestConcurrentWorkers(SeparateWorkersCase):
    def setUp(self):
        super().setUp()
        self.cron_ids = []
        self.journal_ids = []
        # Drafts: the interleaved workers below run in one thread, and a
        # posted number waits for the other worker's commit.
        self._create_committed_subscriptions(
            "Workers", COUNT, TODAY, TODAY, quantities=[1 + i for i in range(COUNT)]
        )

    # ------------------------------------------------------------
    # HELPERS
    # ------------------------------------------------------------

    def _remove_committed_records(self, env):
        env["ir.cron"].browse(self.cron_ids).exists().unlink()
        env["ir.cron.trigger"].search(
            [
                (
                    "cron_id",
                    "=",
                    env.ref("recurring_billing.ir_cron_recurring_invoice").id,
                ),
                ("call_at", ">=", "2025-01-01"),
            ]
        ).unlink()
        if "queue.job" in env:
            env["queue.job"].search(
                [("model_name", "=", "recurring.invoicing")]
            ).unlink()
        super()._remove_committed_records(env)
        env["account.journal"].browse(self.journal_ids).exists().unlink()

    def _committed_invoices(self):
        """``{subscription id: [invoice amounts]}`` as committed."""
        with self._worker(commit=False) as env:
            moves = env["account.move"].search(
                [("subscription_id", "in", self.sub_ids)]
            )
            billed = {}
            for move in moves:
                billed.setdefault(move.subscription_id.id, []).append(
                    (move.state, move.amount_untaxed)
                )
            return billed

    def _run(self, env, batch_size):
        with freeze_time(TODAY):
            return env["recurring.invoicing"]._cron_recurring_invoice(
                batch_size=batch_size
            )

    def _assert_each_billed_once(self, *shares, state="draft"):
        """Every subscription billed exactly once, for its own amount; the
        workers' ``shares`` (sets of subscription ids) are disjoint and each
        worker billed some."""
        for share in shares:
            self.assertTrue(share, "each worker bills a share")
        self.assertEqual(sum(len(share) for share in shares), COUNT)
        self.assertEqual(set().union(*shares), set(self.sub_ids))
        billed = self._committed_invoices()
        self.assertEqual(
            billed,
            {
                sub_id: [(state, 10.0 * (1 + i))]
                for i, sub_id in enumerate(self.sub_ids)
            },
        )

    @contextmanager
    def _assert_no_error_logged(self):
        with self.assertNoLogs("odoo", level=logging.ERROR):
            yield

    def _stale_worker(self, cr):
        """A worker whose transaction snapshot is taken now, before another
        worker commits the whole billing."""
        env = self._env(cr)
        with freeze_time(TODAY):
            SaleOrder = env["sale.order"]
            due = SaleOrder.search(
                SaleOrder._get_subscriptions_to_invoice_domain()
                + [("id", "in", self.sub_ids)]
            )
        self.assertEqual(len(due), COUNT)
        return env

    # ------------------------------------------------------------
    # TESTS
    # ------------------------------------------------------------

    def test_workers_take_the_next_free_batch(self):
        """Each worker's call takes the next batch no other worker holds, as
        the cron loop does (one batch per transaction)."""
        cr_a = db_connect(self.env.cr.dbname).cursor()
        cr_b = db_connect(self.env.cr.dbname).cursor()
        share_a, share_b = set(), set()
        try:
            env_a, env_b = self._env(cr_a), self._env(cr_b)
            for _round in range(3):
                billed_a = self._run(env_a, batch_size=2)  # A holds its batch
                billed_b = self._run(env_b, batch_size=2)  # B takes the next
                self.assertEqual((len(billed_a), len(billed_b)), (2, 2))
                self.assertFalse(billed_a.subscription_id & billed_b.subscription_id)
                share_a |= set(billed_a.subscription_id.ids)
                share_b |= set(billed_b.subscription_id.ids)
                cr_a.commit()
                cr_b.commit()
            self.assertFalse(self._run(env_a, batch_size=2))
            self.assertFalse(self._run(env_b, batch_size=2))
            cr_a.commit()
            cr_b.commit()
        finally:
            cr_a.close()
            cr_b.close()
        self._assert_each_billed_once(share_a, share_b)

    def test_serialization_failure_is_retried_without_error(self):
        """A worker whose snapshot predates another worker's commit meets a
        serialization failure on the rows that worker billed: it bills nothing,
        logs no error, raises nothing, and asks the cron to run again."""
        cr_b = db_connect(self.env.cr.dbname).cursor()
        try:
            env_b = self._stale_worker(cr_b)
            with self._worker() as env_a:
                share_a = set(self._run(env_a, batch_size=100).subscription_id.ids)
            self.assertEqual(len(share_a), COUNT)
            cron = env_b.ref("recurring_billing.ir_cron_recurring_invoice")
            progress = env_b["ir.cron.progress"].create(
                {"cron_id": cron.id, "done": 0, "remaining": 0}
            )
            with (
                self._assert_no_error_logged(),
                self.assertLogs(
                    "odoo.addons.recurring_billing.models.recurring_invoicing",
                    logging.INFO,
                ) as logs,
            ):
                billed_b = self._run(
                    env_b(
                        context=dict(
                            env_b.context,
                            ir_cron_progress_id=progress.id,
                            cron_id=cron.id,
                        )
                    ),
                    batch_size=100,
                )
            self.assertFalse(billed_b)
            self.assertIn("concurrent update", logs.output[0])
            # Nothing reported as done; a retry is scheduled.
            self.assertEqual(progress.done, 0)
            self.assertTrue(
                env_b["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
            )
            cr_b.rollback()
            # The retry, in a new transaction, sees the other worker's commit.
            with self._worker() as env:
                self.assertFalse(self._run(env, batch_size=100))
        finally:
            cr_b.close()
        self._assert_each_billed_once(share_a)

    def test_worker_waits_for_the_turn_and_numbers_after(self):
        """Posted invoices, two workers at once: B posts its invoices while A
        holds the numbering turn, waits for A's commit, then numbers its own
        after A's, although its snapshot predates A's commit. Every invoice
        posted, numbers contiguous, none flagged as following a gap, nothing
        left to number, no error."""
        self._check_waits_and_numbers_after()

    def test_first_numbers_of_a_journal_from_two_workers(self):
        """The same in a journal without any invoice yet: B's snapshot shows
        no number at all, from which Odoo would start again at 1; B follows
        A's numbers all the same."""
        with self._worker() as env:
            journal = env["account.journal"].create(
                {
                    "name": "Subscriptions (workers)",
                    "code": "SUBW",
                    "type": "sale",
                    "company_id": self.company_id,
                }
            )
            self.journal_ids = journal.ids
            env["sale.order"].browse(self.sub_ids).journal_id = journal
        self._check_waits_and_numbers_after()
        with self._worker(commit=False) as env:
            moves = env["account.move"].search(
                [("subscription_id", "in", self.sub_ids)]
            )
            self.assertEqual(moves.journal_id.ids, self.journal_ids)
            self.assertEqual(
                sorted(moves.mapped("name")),
                [f"SUBW/2025/{number:05d}" for number in range(1, COUNT + 1)],
            )

    def _check_waits_and_numbers_after(self):
        with self._worker() as env:
            env["sale.order.template"].browse(self.records["template"]).auto_post = True
        cr_a = db_connect(self.env.cr.dbname).cursor()
        cr_b = db_connect(self.env.cr.dbname).cursor()
        billed = {}

        def run_b():
            billed["b"] = self._env(cr_b)[
                "recurring.invoicing"
            ]._cron_recurring_invoice(6)
            billed["b_states"] = set(billed["b"].mapped("state"))
            cr_b.commit()

        try:
            with freeze_time(TODAY), self._assert_no_error_logged():
                billed_a = self._run_in_turn(cr_a, 6)
                worker_b = threading.Thread(target=run_b)
                worker_b.start()
                self._wait_for_lock(cr_b)
                cr_a.commit()
                worker_b.join(60)
                self.assertFalse(worker_b.is_alive())
            self.assertEqual(billed["b_states"], {"posted"})
            share_b = set(billed["b"].subscription_id.ids)
        finally:
            cr_a.close()
            cr_b.close()
        share_a = set(billed_a)
        self.assertEqual(len(share_a), 6)
        self._assert_each_billed_once(share_a, share_b, state="posted")
        prefixes, numbers = self._posted_numbers()
        self.assertEqual(len(set(prefixes)), 1)
        self.assertEqual(numbers, list(range(numbers[0], numbers[0] + COUNT)))
        with self._worker(commit=False) as env:
            moves = env["account.move"].search(
                [("subscription_id", "in", self.sub_ids)]
            )
            self.assertFalse(any(moves.mapped("made_sequence_gap")))
            self.assertFalse(any(moves.mapped("recurring_post_pending")))
            # A's invoices come first in the numbering.
            first = moves.sorted("sequence_number")[:6]
            self.assertEqual(set(first.subscription_id.ids), share_a)

    def _run_in_turn(self, cr, batch_size):
        """Bill a batch on ``cr``, which then holds the numbering turn until
        it commits; returns the subscription ids billed."""
        billed = self._env(cr)["recurring.invoicing"]._cron_recurring_invoice(
            batch_size
        )
        self.assertEqual(set(billed.mapped("state")), {"posted"})
        return billed.subscription_id.ids

    def _wait_for_lock(self, cr):
        """Wait until the connection of ``cr`` waits for a lock."""
        pid = cr._cnx.get_backend_pid()
        with self._worker(commit=False) as env:
            for _attempt in range(600):
                env.cr.execute(
                    "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s",
                    [pid],
                )
                if env.cr.fetchone()[0] == "Lock":
                    return
                env.cr.rollback()
                time.sleep(0.05)
        self.fail("The second worker never waited for the numbering turn.")

    def _posted_numbers(self):
        with self._worker(commit=False) as env:
            moves = env["account.move"].search(
                [("subscription_id", "in", self.sub_ids)], order="sequence_number"
            )
            return moves.mapped("sequence_prefix"), moves.mapped("sequence_number")

    def _set_numbering_wait(self, seconds):
        """Commit how long a worker waits for the numbering turn; removed at
        the end of the test."""
        with self._worker() as env:
            env["ir.config_parameter"].set_param(
                "recurring_billing.numbering_wait", seconds
            )
        self.addCleanup(self._reset_numbering_wait)

    def _reset_numbering_wait(self):
        with self._worker() as env:
            env["ir.config_parameter"].search(
                [("key", "=", "recurring_billing.numbering_wait")]
            ).unlink()

    def test_workers_create_at_once_and_number_in_turn(self):
        """Posted invoices: while one worker numbers invoices of the journal,
        another worker that may not wait for it (``numbering_wait`` 0) posts
        its invoices, then undoes the posting and leaves them to number; the
        next run numbers them. No duplicate number, no gap, nothing posted
        twice, no error."""
        self._set_numbering_wait("0")
        with self._worker() as env:
            env["sale.order.template"].browse(self.records["template"]).auto_post = True
        cr_a = db_connect(self.env.cr.dbname).cursor()
        cr_b = db_connect(self.env.cr.dbname).cursor()
        try:
            env_a, env_b = self._env(cr_a), self._env(cr_b)
            with self._assert_no_error_logged():
                billed_a = self._run(env_a, batch_size=5)  # numbers, holds the turn
                billed_b = self._run(env_b, batch_size=5)  # does not wait for it
                self.assertEqual(set(billed_a.mapped("state")), {"posted"})
                self.assertEqual(set(billed_b.mapped("state")), {"draft"})
                self.assertTrue(all(billed_b.mapped("recurring_post_pending")))
                share_a = set(billed_a.subscription_id.ids)
                share_b = set(billed_b.subscription_id.ids)
                cr_a.commit()
                # A committed after B's snapshot: B's next call in the same
                # transaction meets A's commit and bills nothing.
                self.assertFalse(self._run(env_b, batch_size=5))
                cr_b.commit()
                # The next run, in a new transaction, numbers what was left
                # and bills the rest.
                billed_b2 = self._run(env_b, batch_size=5)
                self.assertEqual(len(billed_b2), 2)
                share_b |= set(billed_b2.subscription_id.ids)
                cr_b.commit()
                self.assertFalse(self._run(env_a, batch_size=5))
                cr_a.commit()
        finally:
            cr_a.close()
            cr_b.close()
        self._assert_each_billed_once(share_a, share_b, state="posted")
        prefixes, numbers = self._posted_numbers()
        self.assertEqual(len(set(prefixes)), 1)
        self.assertEqual(numbers, list(range(numbers[0], numbers[0] + COUNT)))
        with self._worker(commit=False) as env:
            self.assertFalse(
                env["account.move"].search_count(
                    [
                        ("subscription_id", "in", self.sub_ids),
                        ("recurring_post_pending", "=", True),
                    ]
                )
            )

    def test_posting_undone_without_the_turn_and_turn_logged(self):
        """A worker that cannot take the numbering turn undoes its posting:
        its invoices are left to number, in draft, without a number and not
        queued for sending. The worker that numbered logs, once committed,
        the part of its batch spent in the turn."""
        with self._worker() as env:
            env["sale.order.template"].browse(self.records["template"]).auto_post = True
        cr_a = db_connect(self.env.cr.dbname).cursor()
        cr_b = db_connect(self.env.cr.dbname).cursor()
        logger = "odoo.addons.recurring_billing.models.recurring_invoicing"
        self._set_numbering_wait("0")
        try:
            env_a, env_b = self._env(cr_a), self._env(cr_b)
            # A clock that runs, for the times logged.
            with freeze_time(TODAY, tick=True):
                billed_a = env_a["recurring.invoicing"]._cron_recurring_invoice(5)
                billed_b = env_b["recurring.invoicing"]._cron_recurring_invoice(5)
                self.assertEqual(set(billed_a.mapped("state")), {"posted"})
                self.assertEqual(set(billed_b.mapped("state")), {"draft"})
                for move in billed_b:
                    self.assertTrue(move.recurring_post_pending)
                    self.assertEqual(move.name, "/")
                    self.assertFalse(move.sending_data)
                self.assertTrue(all(billed_a.mapped("sending_data")))
                with self.assertLogs(logger, level=logging.INFO) as logs:
                    cr_a.commit()
            self.assertEqual(len(logs.output), 1)
            match = re.search(
                r"Recurring invoicing: 5 invoices in ([\d.]+)s, ([\d.]+)s of it in "
                r"the numbering turn\.",
                logs.output[0],
            )
            self.assertTrue(match, logs.output[0])
            self.assertGreater(float(match[2]), 0)
            self.assertLess(float(match[2]), float(match[1]))
            cr_b.rollback()
        finally:
            cr_a.close()
            cr_b.close()

    def test_several_cron_entries_bill_disjoint_batches(self):
        """Without queue_job, copies of the cron entry are workers: each run
        of each entry bills its own batch."""
        with self._worker() as env:
            cron = env.ref("recurring_billing.ir_cron_recurring_invoice")
            crons = env["ir.cron"]
            for name in ("worker 1", "worker 2"):
                crons |= cron.copy(
                    {
                        "name": f"{cron.name} ({name})",
                        "code": "model._cron_recurring_invoice(batch_size=3)",
                        "active": False,
                    }
                )
            self.cron_ids = crons.ids
        cr_a = db_connect(self.env.cr.dbname).cursor()
        cr_b = db_connect(self.env.cr.dbname).cursor()
        shares = {0: set(), 1: set()}
        seen = []
        try:
            envs = self._env(cr_a), self._env(cr_b)
            with freeze_time(TODAY):
                for _round in range(2):
                    # Worker 0 holds its batch while worker 1 bills the next.
                    for index, env in enumerate(envs):
                        env["ir.cron"].browse(self.cron_ids[index]).with_context(
                            cron_id=self.cron_ids[index]
                        ).method_direct_trigger()
                        env.invalidate_all()
                        billed = env["account.move"].search(
                            [
                                ("subscription_id", "in", self.sub_ids),
                                ("id", "not in", seen),
                            ]
                        )
                        self.assertEqual(len(billed), 3)
                        seen += billed.ids
                        shares[index] |= set(billed.subscription_id.ids)
                    cr_a.commit()
                    cr_b.commit()
        finally:
            cr_a.close()
            cr_b.close()
        self._assert_each_billed_once(shares[0], shares[1])

    # ------------------------------------------------------------
    # OCA queue_job
    # ------------------------------------------------------------

    def _require_queue_job(self):
        if "queue.job" not in self.env:
            self.skipTest("OCA queue_job is not installed in this database.")

    def test_queue_job_not_used_unless_its_runner_is_loaded(self):
        self._require_queue_job()
        Invoicing = self.env["recurring.invoicing"]
        ICP = self.env["ir.config_parameter"].sudo()
        ICP.set_param("recurring_billing.use_queue_job", False)
        self.assertFalse(Invoicing._use_queue_job())
        ICP.set_param("recurring_billing.use_queue_job", True)
        self.assertTrue(Invoicing._use_queue_job())

    def test_queue_job_one_job_per_batch_on_its_channel(self):
        """With queue_job, the cron enqueues one job per batch on the
        ``root.recurring_billing`` channel; two jobs running at once, each on
        its own connection, bill disjoint batches."""
        self._require_queue_job()
        from odoo.addons.queue_job.job import Job

        with self._worker() as env:
            env["ir.config_parameter"].set_param(
                "recurring_billing.use_queue_job", True
            )
            self.addCleanup(self._reset_queue_job_param)
            self.assertFalse(self._run(env, batch_size=5))
            jobs = env["queue.job"].search(
                [("model_name", "=", "recurring.invoicing")], order="id"
            )
            self.assertEqual(len(jobs), 3)  # 12 due, 5 a batch
            self.assertEqual(set(jobs.mapped("channel")), {"root.recurring_billing"})
            self.assertEqual(set(jobs.mapped("state")), {"pending"})
            # A second cron run does not enqueue what is already waiting.
            self._run(env, batch_size=5)
            self.assertEqual(
                env["queue.job"].search_count(
                    [("model_name", "=", "recurring.invoicing")]
                ),
                3,
            )
            uuids = jobs.mapped("uuid")
            # queue_job's runner, started with the test server's HTTP thread,
            # would run the jobs as soon as they are committed: they are run
            # here, by hand, at the moments the test chooses.
            self._hold_jobs_from_runner(env)
        # Each job runs in a transaction of its own, opened when it starts, as
        # queue_job's runner runs it: the first two at once, the third after
        # both committed.
        cursors = []
        try:
            with freeze_time(TODAY):
                shares = []
                for uuid in uuids:
                    cursors.append(db_connect(self.env.cr.dbname).cursor())
                    env = self._env(cursors[-1])
                    job = Job.load(env, uuid)
                    job.perform()  # the first job holds its batch meanwhile
                    shares.append(self._own_invoices(env, shares))
                    self.assertEqual(
                        job.result,
                        "%(n)s subscriptions, %(n)s invoices" % {"n": len(shares[-1])},
                    )
                    if len(cursors) >= 2:
                        for cr in cursors:
                            cr.commit()
        finally:
            for cr in cursors:
                cr.close()
        self.assertEqual([len(share) for share in shares], [5, 5, 2])
        self._assert_each_billed_once(*shares)

    def _own_invoices(self, env, shares):
        """Subscriptions billed in ``env`` not yet in ``shares``."""
        env.invalidate_all()
        moves = env["account.move"].search([("subscription_id", "in", self.sub_ids)])
        return set(moves.subscription_id.ids) - set().union(*shares)

    def test_queue_job_contention_is_retried_without_error(self):
        self._require_queue_job()
        from odoo.addons.queue_job.exception import RetryableJobError

        cr_b = db_connect(self.env.cr.dbname).cursor()
        try:
            env_b = self._stale_worker(cr_b)
            with self._worker() as env_a:
                share_a = set(self._run(env_a, batch_size=100).subscription_id.ids)
            with self._assert_no_error_logged(), self.assertRaises(RetryableJobError):
                with freeze_time(TODAY):
                    env_b["recurring.invoicing"]._job_invoice_batch(100)
            cr_b.rollback()
        finally:
            cr_b.close()
        self._assert_each_billed_once(share_a)

    def _hold_jobs_from_runner(self, env):
        """Keep the recurring-invoicing jobs out of reach of queue_job's
        runner (an ``eta`` far ahead, in the transaction that creates them),
        and remove them at the end of the test."""
        jobs = env["queue.job"].search([("model_name", "=", "recurring.invoicing")])
        jobs.write({"eta": "2999-01-01 00:00:00"})
        self.addCleanup(self._remove_jobs)

    def _remove_jobs(self):
        with self._worker() as env:
            env["queue.job"].search(
                [("model_name", "=", "recurring.invoicing")]
            ).unlink()

    def _reset_queue_job_param(self):
        with self._worker() as env:
            env["ir.config_parameter"].search(
                [("key", "=", "recurring_billing.use_queue_job")]
            ).unlink()


@tagged("post_install", "-at_install")
class TestPendingNumbering(RecurringBillingCommon):
    """Invoices a worker left to number (another worker was numbering) are
    numbered by the next run, in date order; one that cannot be posted stays
    in draft with the reason, and its subscription is flagged."""

    def _left_to_number(self, *days):
        """Invoices billed on ``days`` as a worker that could not number them
        leaves them: drafts marked ``recurring_post_pending``."""
        template = self.template_monthly.copy({"auto_post": False})
        moves = self.env["account.move"]
        for day in days:
            self._create_subscription(day, template=template)
            moves |= self._run_engine(day)
        self.assertEqual(set(moves.mapped("state")), {"draft"})
        template.auto_post = True
        moves.write({"recurring_post_pending": True, "name": "/"})
        return moves

    def test_next_run_numbers_them_in_date_order(self):
        moves = self._left_to_number("2025-02-01", "2025-01-15", "2025-01-01")
        self._run_engine("2025-02-01")
        self.assertEqual(set(moves.mapped("state")), {"posted"})
        self.assertFalse(any(moves.mapped("recurring_post_pending")))
        by_number = moves.sorted("sequence_number")
        self.assertEqual(
            [str(move.invoice_date) for move in by_number],
            sorted(str(move.invoice_date) for move in moves),
        )
        self.assertEqual(
            by_number.mapped("sequence_number"),
            list(range(by_number[0].sequence_number, by_number[0].sequence_number + 3)),
        )

    def test_one_that_cannot_be_posted_stays_draft_with_reason(self):
        moves = self._left_to_number("2025-01-01", "2025-01-02")
        broken = moves.filtered(lambda move: str(move.invoice_date) == "2025-01-01")
        broken.invoice_line_ids.unlink()
        with mute_logger("odoo.addons.recurring_billing.models.recurring_invoicing"):
            self._run_engine("2025-01-02")
        self.assertEqual((moves - broken).state, "posted")
        self.assertEqual(broken.state, "draft")
        self.assertFalse(broken.recurring_post_pending)
        self.assertIn("could not post this invoice", broken.message_ids[:1].body or "")
        self.assertTrue(broken.subscription_id.recurring_billing_error)
        self.assertFalse((moves - broken).subscription_id.recurring_billing_error)
