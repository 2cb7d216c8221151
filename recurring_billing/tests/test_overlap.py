# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""No day of a subscription is billed twice: reopening, resuming and moving
the next invoice date by hand continue from the end of what is billed, the
job flags what it cannot bill and always ends, and the database refuses any
overlap of live period invoices."""

from datetime import date, timedelta

from freezegun import freeze_time
from psycopg2 import errors as pg_errors

from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import RecurringBillingCommon


@tagged("post_install", "-at_install")
class TestNoDayBilledTwice(RecurringBillingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesman = cls._create_role_user(
            "salesman", "rb_overlap_salesman", email="vendeur@nuage-libre.example"
        )
        cls.sales_admin = cls._create_role_user(
            "sales_admin",
            "rb_overlap_sales_admin",
            email="ventes@nuage-libre.example",
        )

    def _billed_days(self, sub):
        """Every day billed by a live period invoice, with its count."""
        days = {}
        for move in sub.subscription_invoice_ids.filtered(
            lambda m: (
                m.move_type == "out_invoice"
                and m.state != "cancel"
                and m.subscription_period_start
            )
        ):
            day = move.subscription_period_start
            while day <= move.subscription_period_end:
                days[day] = days.get(day, 0) + 1
                day += timedelta(days=1)
        return days

    def assertNoDayBilledTwice(self, sub):
        twice = sorted(
            day for day, count in self._billed_days(sub).items() if count > 1
        )
        self.assertFalse(twice, f"days billed twice: {twice}")

    def _run_and_check_it_ends(self, day, batch_size=100):
        """Run the job as its cron would, and check it ends, reports nothing
        left and logs no error (the database guard is never hit)."""
        SaleOrder = self.env["sale.order"]
        with (
            self.assertNoLogs("odoo.sql_db", level="ERROR"),
            freeze_time(day),
        ):
            moves = self.env["recurring.invoicing"]._cron_recurring_invoice(
                batch_size=batch_size
            )
            self.assertEqual(
                SaleOrder.search_count(
                    SaleOrder._get_subscriptions_to_invoice_domain()
                ),
                0,
                "the job reports work it cannot do",
            )
        return moves

    # ------------------------------------------------------------------
    # Reopen
    # ------------------------------------------------------------------

    def test_close_and_reopen_the_same_day_it_was_billed(self):
        sub = self._create_subscription("2025-12-01")
        first = self._run_and_check_it_ends("2025-12-01")
        self.assertPeriods(first, [("2025-12-01", "2025-12-01", "2025-12-31")])
        with freeze_time("2025-12-01"):
            sub.with_user(self.sales_admin).action_subscription_close()
            sub.with_user(self.sales_admin).action_subscription_reopen()
        # Billed up to 31 December: it goes on from 1 January.
        self.assertEqual(sub.next_invoice_date, date(2026, 1, 1))
        self.assertEqual(sub.billing_anchor_day, 1)
        self.assertFalse(self._run_and_check_it_ends("2025-12-01"))
        self.assertFalse(sub.recurring_billing_error)
        moves = self._run_and_check_it_ends("2026-01-01")
        self.assertPeriods(moves, [("2026-01-01", "2026-01-01", "2026-01-31")])
        self.assertEqual(moves.amount_untaxed, 66.0)
        self.assertNoDayBilledTwice(sub)

    def test_close_and_reopen_mid_period(self):
        """Started 20 Nov, billed 20 Nov - 19 Dec, closed and reopened 1 Dec:
        the next invoice bills from 20 Dec."""
        sub = self._create_subscription("2025-11-20")
        self._run_and_check_it_ends("2025-11-20")
        with freeze_time("2025-12-01"):
            sub.with_user(self.sales_admin).action_subscription_close()
        self.assertEqual(sub.subscription_state, "closed")
        with freeze_time("2025-12-01"):
            sub.with_user(self.sales_admin).action_subscription_reopen()
        self.assertEqual(sub.next_invoice_date, date(2025, 12, 20))
        self.assertFalse(self._run_and_check_it_ends("2025-12-01"))
        moves = self._run_and_check_it_ends("2025-12-20")
        self.assertPeriods(moves, [("2025-12-20", "2025-12-20", "2026-01-19")])
        self.assertEqual(moves.amount_untaxed, 66.0)
        self.assertNoDayBilledTwice(sub)
        # Every day from 20 Nov to 19 Jan billed once, no gap.
        self.assertEqual(len(self._billed_days(sub)), 61)

    def test_reopen_after_the_billed_period_restarts_today(self):
        sub = self._create_subscription("2025-11-20")
        self._run_and_check_it_ends("2025-11-20")
        with freeze_time("2025-12-01"):
            sub.action_subscription_close()
        with freeze_time("2026-01-05"):
            sub.action_subscription_reopen()
        self.assertEqual(sub.next_invoice_date, date(2026, 1, 5))
        moves = self._run_and_check_it_ends("2026-01-05")
        self.assertPeriods(moves, [("2026-01-05", "2026-01-05", "2026-02-04")])
        self.assertNoDayBilledTwice(sub)

    def test_reopen_postpaid_bills_only_what_is_not_billed(self):
        template = self.template_monthly.copy({"invoicing_mode": "postpaid"})
        sub = self._create_subscription("2025-10-01", template=template)
        moves = self._run_and_check_it_ends("2025-11-01")
        self.assertPeriods(moves, [("2025-11-01", "2025-10-01", "2025-10-31")])
        with freeze_time("2025-11-01"):
            sub.action_subscription_close()
        # Closed now on 1 November: that day, served, is billed (1 of 30).
        closing = sub.subscription_invoice_ids - moves
        self.assertPeriods(closing, [("2025-11-01", "2025-11-01", "2025-11-01")])
        self.assertEqual(closing.amount_untaxed, 2.2)
        with freeze_time("2025-11-01"):
            sub.action_subscription_reopen()
        self.assertFalse(self._run_and_check_it_ends("2025-11-01"))
        self.assertFalse(self._run_and_check_it_ends("2025-12-01"))
        # It goes on from the day after the last day billed.
        moves = self._run_and_check_it_ends("2025-12-02")
        self.assertPeriods(moves, [("2025-12-02", "2025-11-02", "2025-12-01")])
        self.assertEqual(moves.amount_untaxed, 66.0)
        self.assertNoDayBilledTwice(sub)

    # ------------------------------------------------------------------
    # Pause and resume
    # ------------------------------------------------------------------

    def test_resume_after_a_pause_bills_no_day_twice(self):
        sub = self._create_subscription("2025-11-01", user_id=self.salesman.id)
        self._run_and_check_it_ends("2025-11-01")
        with freeze_time("2025-11-10"):
            sub.with_user(self.salesman).action_subscription_pause()
        with freeze_time("2025-11-20"):
            sub.with_user(self.salesman).action_subscription_resume()
        # The ten days paid and not served push the next invoice back.
        self.assertEqual(sub.next_invoice_date, date(2025, 12, 11))
        self.assertFalse(self._run_and_check_it_ends("2025-12-01"))
        moves = self._run_and_check_it_ends("2025-12-11")
        self.assertPeriods(moves, [("2025-12-11", "2025-12-11", "2026-01-10")])
        self.assertNoDayBilledTwice(sub)

    def test_postpaid_pause_and_resume_the_same_day(self):
        template = self.template_monthly.copy({"invoicing_mode": "postpaid"})
        sub = self._create_subscription(
            "2025-11-01", template=template, user_id=self.salesman.id
        )
        with freeze_time("2025-11-10"):
            sub.with_user(self.salesman).action_subscription_pause()
            sub.with_user(self.salesman).action_subscription_resume()
        served = sub.subscription_invoice_ids
        self.assertEqual(
            (served.subscription_period_start, served.subscription_period_end),
            (date(2025, 11, 1), date(2025, 11, 9)),
        )
        moves = self._run_and_check_it_ends("2025-12-10")
        self.assertPeriods(moves, [("2025-12-10", "2025-11-10", "2025-12-09")])
        self.assertNoDayBilledTwice(sub)

    # ------------------------------------------------------------------
    # Next invoice date set by hand
    # ------------------------------------------------------------------

    def test_next_invoice_date_inside_a_billed_period_is_refused(self):
        sub = self._create_subscription("2025-11-20", user_id=self.salesman.id)
        self._run_and_check_it_ends("2025-11-20")
        for user in (self.salesman, self.sales_admin):
            with self.assertRaisesRegex(
                ValidationError, "already invoiced from .* would bill those days again"
            ):
                sub.with_user(user).next_invoice_date = date(2025, 12, 1)
        self.assertEqual(sub.next_invoice_date, date(2025, 12, 20))
        # Later than what is billed: accepted, and billed from there.
        sub.with_user(self.salesman).next_invoice_date = date(2025, 12, 25)
        moves = self._run_and_check_it_ends("2025-12-25")
        self.assertPeriods(moves, [("2025-12-25", "2025-12-25", "2026-01-19")])
        self.assertNoDayBilledTwice(sub)

    def test_postpaid_next_invoice_date_ending_a_billed_period_is_refused(self):
        template = self.template_monthly.copy({"invoicing_mode": "postpaid"})
        sub = self._create_subscription("2025-10-01", template=template)
        self._run_and_check_it_ends("2025-11-01")
        with self.assertRaises(ValidationError):
            sub.next_invoice_date = date(2025, 11, 1)
        # The period due on 2 Nov ends on 1 Nov: one day left to bill.
        sub.next_invoice_date = date(2025, 11, 2)
        moves = self._run_and_check_it_ends("2025-11-02")
        self.assertPeriods(moves, [("2025-11-02", "2025-11-01", "2025-11-01")])
        self.assertNoDayBilledTwice(sub)

    # ------------------------------------------------------------------
    # What the job cannot bill
    # ------------------------------------------------------------------

    def test_a_period_with_an_invoice_inside_is_flagged_and_the_job_ends(self):
        sub = self._create_subscription("2025-11-01")
        self._run_and_check_it_ends("2025-11-01")
        # An invoice of some days of December, made by hand.
        vals = sub._prepare_recurring_invoice_vals(
            date(2025, 12, 10), date(2025, 12, 10), date(2025, 12, 15)
        )
        self.env["account.move"].create(vals)
        with self.assertLogs(
            "odoo.addons.recurring_billing.models.recurring_invoicing", "WARNING"
        ):
            moves = self._run_and_check_it_ends("2025-12-01")
        self.assertFalse(moves)
        self.assertIn("already bills", sub.recurring_billing_error)
        self.assertEqual(sub.next_invoice_date, date(2025, 12, 1))
        self.assertTrue(sub.activity_ids)
        self.assertNoDayBilledTwice(sub)
        # Cancelled, the invoice no longer bills anything: retried, the job
        # bills December.
        sub.subscription_invoice_ids.filtered(
            lambda m: m.subscription_period_start == date(2025, 12, 10)
        ).button_cancel()
        sub.action_recurring_clear_error()
        moves = self._run_and_check_it_ends("2025-12-01")
        self.assertPeriods(moves, [("2025-12-01", "2025-12-01", "2025-12-31")])

    def test_the_database_guard_is_flagged_not_retried_forever(self):
        """Should the engine's own check miss an overlap (here it is told
        nothing is billed), the database refuses it, the subscription is
        flagged and leaves the job's domain."""
        sub = self._create_subscription("2025-12-01")
        self._run_and_check_it_ends("2025-12-01")
        # Moved back by a means that skips the ORM's check.
        sub.env.cr.execute(
            "UPDATE sale_order SET next_invoice_date = '2025-12-15' WHERE id = %s",
            [sub.id],
        )
        sub.invalidate_recordset()
        SaleOrder = self.env["sale.order"]
        with (
            freeze_time("2025-12-15"),
            mute_logger(
                "odoo.sql_db",
                "odoo.addons.recurring_billing.models.recurring_invoicing",
            ),
        ):
            # Nothing billed, whether read for one subscription or a batch.
            self.patch(type(SaleOrder), "_get_billed_periods", lambda self, *a: [])
            self.patch(
                type(SaleOrder), "_get_billed_periods_by_subscription", lambda self: {}
            )
            moves = self.env["recurring.invoicing"]._cron_recurring_invoice()
            self.assertFalse(moves)
            self.assertEqual(
                SaleOrder.search_count(
                    SaleOrder._get_subscriptions_to_invoice_domain()
                ),
                0,
            )
        self.assertIn("overlaps", sub.recurring_billing_error)
        self.assertNoDayBilledTwice(sub)

    # ------------------------------------------------------------------
    # The database
    # ------------------------------------------------------------------

    def test_the_database_refuses_overlapping_periods(self):
        sub = self._create_subscription("2025-11-20")
        first = self._run_and_check_it_ends("2025-11-20")
        Move = self.env["account.move"]

        def invoice(start, end, **vals):
            return {
                **sub._prepare_recurring_invoice_vals(start, start, end),
                **vals,
            }

        # Overlapping, not identical: refused.
        with (
            self.assertRaises(pg_errors.ExclusionViolation),
            mute_logger("odoo.sql_db"),
            self.env.cr.savepoint(),
        ):
            Move.create(invoice(date(2025, 12, 1), date(2025, 12, 31)))
            Move.flush_model()
        # The day after: accepted.
        after = Move.create(invoice(date(2025, 12, 20), date(2026, 1, 19)))
        Move.flush_model()
        # Credit notes of a billed period keep working, and so do the
        # invoices of change orders (no period of their own).
        refund = first._reverse_moves(
            [{"invoice_date": date(2025, 12, 1), "subscription_id": sub.id}]
        )
        refund.write(
            {
                "subscription_period_start": first.subscription_period_start,
                "subscription_period_end": first.subscription_period_end,
            }
        )
        change = Move.create(
            {
                **invoice(date(2025, 12, 1), date(2025, 12, 1)),
                "subscription_period_start": False,
                "subscription_period_end": False,
            }
        )
        Move.flush_model()
        self.assertEqual(refund.move_type, "out_refund")
        self.assertTrue(change.id)
        # A cancelled invoice frees its days.
        after.button_cancel()
        Move.flush_model()
        again = Move.create(invoice(date(2025, 12, 20), date(2026, 1, 19)))
        Move.flush_model()
        self.assertEqual(again.state, "draft")
