# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Invoices are dated the day they are issued, and their numbers follow their
dates in one unbroken sequence: caught-up periods, batches, two workers at
once on real connections, a run rolled back."""

import threading
from contextlib import closing
from datetime import date

from freezegun import freeze_time
from psycopg2 import errors as pg_errors

from odoo.sql_db import db_connect
from odoo.tests import tagged

from .common import RecurringBillingCommon
from .common_workers import SeparateWorkersCase


def assert_numbered_in_date_order(test, moves):
    """Sorted by number, the dates never go back and the numbers of each
    sequence (journal and prefix) follow each other without a gap."""
    by_number = moves.sorted(
        lambda m: (m.journal_id.id, m.sequence_prefix, m.sequence_number)
    )
    dates = by_number.mapped("invoice_date")
    test.assertEqual(dates, sorted(dates), "a number dated before a lower one")
    for journal_prefix in {(m.journal_id, m.sequence_prefix) for m in moves}:
        numbers = by_number.filtered(
            lambda m, key=journal_prefix: (m.journal_id, m.sequence_prefix) == key
        ).mapped("sequence_number")
        test.assertEqual(numbers, list(range(numbers[0], numbers[0] + len(numbers))))


@tagged("post_install", "-at_install")
class TestIssueDate(RecurringBillingCommon):
    def test_catch_up_is_dated_the_day_it_is_issued(self):
        """A subscription that started on 1 October, confirmed and billed on
        1 December: three invoices dated 1 December, each for its month, due
        30 days after 1 December, numbered in period order."""
        template = self.template_monthly.copy(
            {"payment_term_id": self.env.ref("account.account_payment_term_30days").id}
        )
        sub = self._create_subscription("2025-10-01", template=template, confirm=False)
        with freeze_time("2025-12-01"):
            sub.action_confirm()
        self.assertEqual(sub.next_invoice_date, date(2025, 10, 1))
        moves = self._run_engine("2025-12-01")
        self.assertPeriods(
            moves,
            [
                ("2025-12-01", "2025-10-01", "2025-10-31"),
                ("2025-12-01", "2025-11-01", "2025-11-30"),
                ("2025-12-01", "2025-12-01", "2025-12-31"),
            ],
        )
        self.assertEqual(set(moves.mapped("invoice_date_due")), {date(2025, 12, 31)})
        self.assertEqual(set(moves.mapped("date")), {date(2025, 12, 1)})
        by_period = moves.sorted("subscription_period_start")
        self.assertEqual(by_period.mapped("name"), sorted(by_period.mapped("name")))
        assert_numbered_in_date_order(self, moves)
        # Each line still carries the days it bills.
        self.assertEqual(
            by_period.mapped(lambda m: m.invoice_line_ids[0].start_date),
            [date(2025, 10, 1), date(2025, 11, 1), date(2025, 12, 1)],
        )
        self.assertEqual(sum(moves.mapped("amount_total")), 3 * 79.2)

    def test_numbers_follow_dates_across_batches_and_days(self):
        subs = [
            self._create_subscription(start)
            for start in ("2025-09-01", "2025-10-15", "2025-11-01", "2025-11-20")
        ]
        moves = self.env["account.move"]
        for day in ("2025-11-01", "2025-11-15", "2025-11-20", "2025-12-01"):
            moves |= self._run_engine(day, batch_size=2)
        # Every invoice dated the day of the run that issued it.
        self.assertEqual(
            sorted(set(moves.mapped("invoice_date"))),
            [
                date(2025, 11, 1),
                date(2025, 11, 15),
                date(2025, 11, 20),
                date(2025, 12, 1),
            ],
        )
        self.assertEqual(len(moves), 4 + 2 + 2 + 1)
        self.assertEqual(set(moves.subscription_id.ids), {sub.id for sub in subs})
        assert_numbered_in_date_order(self, moves)

    def test_close_now_and_pause_are_dated_the_day_they_happen(self):
        sub = self._create_subscription("2025-03-01")
        self._run_engine("2025-03-01")
        sub.sale_order_template_id = self.template_monthly.copy(
            {"credit_on_close": True}
        )
        with freeze_time("2025-03-12"):
            sub.action_subscription_close()
        credit = sub.subscription_invoice_ids.filtered(
            lambda m: m.move_type == "out_refund"
        )
        self.assertEqual(credit.invoice_date, date(2025, 3, 12))
        postpaid = self._create_subscription(
            "2025-03-01",
            template=self.template_monthly.copy({"invoicing_mode": "postpaid"}),
        )
        with freeze_time("2025-03-10"):
            postpaid.action_subscription_pause()
        served = postpaid.subscription_invoice_ids
        self.assertEqual(served.invoice_date, date(2025, 3, 10))
        self.assertEqual(served.invoice_date_due, date(2025, 3, 10))
        self.assertEqual(served.subscription_period_end, date(2025, 3, 9))


TODAY = "2025-12-01"


@tagged("post_install", "-at_install")
class TestNumberingAcrossWorkers(SeparateWorkersCase):
    """Real concurrent workers on committed data, removed at the end."""

    def setUp(self):
        super().setUp()
        # Three months to catch up each.
        self._create_committed_subscriptions(
            "Numbering", 6, "2025-10-01", TODAY, auto_post=True
        )
        self._restrict_job_to_test_subscriptions()

    def _committed_invoices(self, env):
        return env["account.move"].search([("subscription_id", "in", self.sub_ids)])

    def _check_numbering(self):
        with self._worker(commit=False) as env:
            moves = self._committed_invoices(env)
            self.assertEqual(len(moves), 18)
            self.assertEqual(set(moves.mapped("state")), {"posted"})
            self.assertEqual(set(moves.mapped("invoice_date")), {date(2025, 12, 1)})
            self.assertEqual(
                sorted(moves.mapped("subscription_period_start")),
                sorted([date(2025, 10, 1), date(2025, 11, 1), date(2025, 12, 1)] * 6),
            )
            assert_numbered_in_date_order(self, moves)
            # Within a subscription, numbers follow its periods.
            for sub_id in self.sub_ids:
                own = moves.filtered(
                    lambda m, sub_id=sub_id: m.subscription_id.id == sub_id
                )
                self.assertEqual(
                    own.sorted("subscription_period_start").mapped("sequence_number"),
                    sorted(own.mapped("sequence_number")),
                )

    def test_two_workers_at_once_number_in_date_order(self):
        """Worker A bills its batch and holds it; worker B, in its own thread
        and connection, takes the next batch, and its numbers wait for A's:
        one unbroken sequence, in date order."""
        outcome = {"b": 0, "retries": 0}
        # B's environments are made here: Odoo's test runner holds the
        # registry lock that a new environment takes in another thread.
        cursors_b = [db_connect(self.env.cr.dbname).cursor() for _call in range(5)]
        envs_b = [self._env(cr) for cr in cursors_b]

        def worker_b():
            # As Odoo's cron runs a job: a call that meets contention (an
            # invoice number A took meanwhile) is rolled back and run again,
            # in a new transaction.
            try:
                for env in envs_b:
                    with closing(env.cr):
                        try:
                            moves = env["recurring.invoicing"]._cron_recurring_invoice(
                                batch_size=3
                            )
                            env.cr.commit()  # pylint: disable=invalid-commit
                        except (
                            pg_errors.UniqueViolation,
                            pg_errors.TransactionRollbackError,
                        ):
                            env.cr.rollback()
                            outcome["retries"] += 1
                            continue
                    outcome["b"] += len(moves)
                    if not moves:
                        break
            except Exception as error:  # noqa: BLE001 - reported by the test
                outcome["error"] = error

        with freeze_time(TODAY):
            with closing(db_connect(self.env.cr.dbname).cursor()) as cr_a:
                env_a = self._env(cr_a)
                billed_a = env_a["recurring.invoicing"]._cron_recurring_invoice(
                    batch_size=3
                )
                self.assertEqual(len(billed_a), 9)
                thread = threading.Thread(target=worker_b)
                thread.start()
                thread.join(3)  # B works meanwhile, then waits for A's numbers
                cr_a.commit()  # pylint: disable=invalid-commit
            thread.join(120)
        for cr in cursors_b:
            if not cr.closed:
                cr.close()
        self.assertFalse(thread.is_alive(), "worker B never ended")
        self.assertNotIn("error", outcome)
        with self._worker(commit=False) as env:
            errors = (
                env["sale.order"].browse(self.sub_ids).mapped("recurring_billing_error")
            )
        self.assertFalse(any(errors), errors)
        self.assertEqual(outcome["b"], 9, "each worker bills its own share")
        # B could not take the journal's numbering turn while A held it: its
        # invoices wait in draft, and the job's next runs (which the cron
        # triggers) number them, in date order, after A's.
        for _run in range(10):
            with freeze_time(TODAY), self._worker() as env:
                Move = env["account.move"]
                if not Move.search_count([("recurring_post_pending", "=", True)]):
                    break
                env["recurring.invoicing"]._cron_recurring_invoice(batch_size=3)
        self._check_numbering()

    def test_rolled_back_run_leaves_no_gap(self):
        with freeze_time(TODAY):
            with self._worker() as env:
                self.assertEqual(
                    len(
                        env["recurring.invoicing"]._cron_recurring_invoice(batch_size=2)
                    ),
                    6,
                )
            # Killed before its commit: its numbers are not used.
            with self._worker(commit=False) as env:
                self.assertEqual(
                    len(
                        env["recurring.invoicing"]._cron_recurring_invoice(batch_size=2)
                    ),
                    6,
                )
            with self._worker() as env:
                invoicing = env["recurring.invoicing"]
                for _call in range(3):
                    invoicing._cron_recurring_invoice(batch_size=2)
        self._check_numbering()
