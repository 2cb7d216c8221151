# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import RecurringBillingCommon


@tagged("post_install", "-at_install")
class TestLifecycle(RecurringBillingCommon):
    def test_trial_bills_nothing_until_it_ends(self):
        template = self.template_monthly.copy({"trial_days": 14})
        sub = self._create_subscription("2025-03-01", template=template)
        self.assertEqual(sub.subscription_state, "trial")
        self.assertEqual(sub.trial_end_date, date(2025, 3, 15))
        self.assertEqual(sub.next_invoice_date, date(2025, 3, 15))
        self.assertFalse(self._run_engine("2025-03-14"))
        self.assertEqual(sub.subscription_state, "trial")
        moves = self._run_engine("2025-03-15")
        self.assertEqual(sub.subscription_state, "active")
        self.assertPeriods(moves, [("2025-03-15", "2025-03-15", "2025-04-14")])

    def test_pause_moves_the_next_invoice_date(self):
        sub = self._create_subscription("2025-01-10")
        self._run_engine("2025-01-10")
        with freeze_time("2025-01-20"):
            sub.action_subscription_pause()
        self.assertEqual(sub.subscription_state, "paused")
        self.assertEqual(sub.paused_since, date(2025, 1, 20))
        # No invoice while paused, even past the due date.
        self.assertFalse(self._run_engine("2025-02-25"))
        with freeze_time("2025-03-01"):
            sub.action_subscription_resume()
        # Paused 40 days: 10 February + 40 days = 22 March.
        self.assertEqual(sub.subscription_state, "active")
        self.assertEqual(sub.next_invoice_date, date(2025, 3, 22))
        moves = self._run_engine("2025-03-22")
        self.assertPeriods(moves, [("2025-03-22", "2025-03-22", "2025-04-21")])
        with self.assertRaises(UserError):
            sub.action_subscription_resume()

    def test_cancel_at_period_end(self):
        sub = self._create_subscription("2025-01-10")
        self._run_engine("2025-01-10")
        with freeze_time("2025-01-25"):
            sub.action_subscription_cancel_at_period_end()
        self.assertEqual(sub.subscription_state, "to_close")
        self.assertEqual(sub.subscription_end_date, date(2025, 2, 9))
        self.assertFalse(self._run_engine("2025-02-09"))
        self.assertEqual(sub.subscription_state, "to_close")
        self.assertFalse(self._run_engine("2025-02-10"))
        self.assertEqual(sub.subscription_state, "closed")
        self.assertEqual(sub.subscription_invoice_count, 1)
        self.assertFalse(sub.next_invoice_date)

    def test_notice_period_is_enforced(self):
        """10 days of notice: cancelling on 15 January ends on 31 January; on
        25 January, too late for 31 January, it ends on 28 February."""
        template = self.template_monthly.copy({"notice_days": 10})
        early = self._create_subscription("2025-01-01", template=template)
        late = self._create_subscription("2025-01-01", template=template)
        self._run_engine("2025-01-01")
        with freeze_time("2025-01-15"):
            self.assertEqual(early.subscription_cancel_date, date(2025, 1, 31))
            early.action_subscription_cancel_at_period_end()
        with freeze_time("2025-01-25"):
            # Shown before confirming, then applied.
            late.invalidate_recordset(["subscription_cancel_date"])
            self.assertEqual(late.subscription_cancel_date, date(2025, 2, 28))
            late.action_subscription_cancel_at_period_end()
        self.assertEqual(early.subscription_end_date, date(2025, 1, 31))
        self.assertEqual(late.subscription_end_date, date(2025, 2, 28))
        self.assertIn("ends on 02/28/2025", late.message_ids[0].body)
        february = self._run_engine("2025-02-01")
        self.assertEqual(february.subscription_id, late)
        self.assertPeriods(february, [("2025-02-01", "2025-02-01", "2025-02-28")])
        self.assertEqual(early.subscription_state, "closed")
        self.assertFalse(self._run_engine("2025-03-01"))
        self.assertEqual(late.subscription_state, "closed")
        self.assertEqual(late.subscription_end_date, date(2025, 2, 28))
        self.assertEqual(
            (early.subscription_invoice_count, late.subscription_invoice_count),
            (1, 2),
        )

    def test_notice_period_without_notice_ends_at_period_end(self):
        sub = self._create_subscription("2025-01-01")
        self._run_engine("2025-01-01")
        with freeze_time("2025-01-31"):
            self.assertEqual(sub.subscription_cancel_date, date(2025, 1, 31))

    def test_close_now_and_reopen(self):
        sub = self._create_subscription("2025-01-10")
        self._run_engine("2025-01-10")
        reason = self.env.ref("recurring_billing.close_reason_too_expensive")
        sub.close_reason_id = reason
        with freeze_time("2025-01-15"):
            sub.action_subscription_close()
        self.assertRecordValues(
            sub,
            [
                {
                    "subscription_state": "closed",
                    "subscription_end_date": date(2025, 1, 15),
                    "next_invoice_date": False,
                    "close_reason_id": reason.id,
                }
            ],
        )
        self.assertFalse(self._run_engine("2025-03-01"))
        with freeze_time("2025-03-03"):
            sub.action_subscription_reopen()
        self.assertEqual(sub.subscription_state, "active")
        self.assertFalse(sub.subscription_end_date)
        self.assertEqual(sub.next_invoice_date, date(2025, 3, 3))
        moves = self._run_engine("2025-03-03")
        self.assertPeriods(moves, [("2025-03-03", "2025-03-03", "2025-04-02")])
        with self.assertRaises(UserError):
            sub.action_subscription_reopen()

    def test_fixed_term_renews_and_reminds(self):
        sub = self._create_subscription(
            "2025-02-01", template=self.template_yearly_fixed
        )
        self.assertEqual(sub.subscription_end_date, date(2026, 1, 31))
        self.assertEqual(sub.renewal_reminder_date, date(2026, 1, 1))
        moves = self._run_engine("2026-02-01")
        self.assertPeriods(
            moves,
            [
                ("2026-02-01", "2025-02-01", "2026-01-31"),
                ("2026-02-01", "2026-02-01", "2027-01-31"),
            ],
        )
        self.assertEqual(sub.subscription_state, "active")
        self.assertEqual(sub.subscription_end_date, date(2027, 1, 31))
        self.assertEqual(sub.renewal_reminder_date, date(2027, 1, 1))
        self.assertTrue(
            any(
                "renewed until 01/31/2027" in body
                for body in sub.message_ids.mapped("body")
            )
        )

    def test_fixed_term_without_renewal_closes(self):
        template = self.template_monthly.copy(
            {"term_type": "fixed", "term_duration": 3, "auto_renew": False}
        )
        sub = self._create_subscription("2025-01-01", template=template)
        self.assertEqual(sub.subscription_end_date, date(2025, 3, 31))
        self.assertFalse(sub.renewal_reminder_date)
        moves = self._run_engine("2025-06-01")
        self.assertEqual(len(moves), 3)
        self.assertEqual(sub.subscription_state, "closed")
        self.assertEqual(sub.subscription_end_date, date(2025, 3, 31))

    def test_transitions_refused_from_wrong_states(self):
        sub = self._create_subscription("2025-01-01", confirm=False)
        with self.assertRaises(UserError):
            sub.action_subscription_pause()
        with self.assertRaises(UserError):
            sub.action_subscription_close()
        sub = self._create_subscription("2025-01-01")
        with freeze_time("2025-01-02"):
            sub.action_subscription_close()
        with self.assertRaises(UserError):
            sub.action_subscription_cancel_at_period_end()

    def test_changes_are_tracked_in_the_chatter(self):
        sub = self._create_subscription("2025-01-10")
        # Start a new "request": the creation above discarded its own tracking.
        self.env.flush_all()
        self.cr.flush()
        with freeze_time("2025-01-20"):
            sub.with_env(self.env(context={})).action_subscription_pause()
            self.env.flush_all()
            self.cr.flush()
        sub.invalidate_recordset(["message_ids"])
        tracked = sub.message_ids.tracking_value_ids.filtered(
            lambda t: t.field_id.name == "subscription_state"
        )
        self.assertIn("paused", tracked.mapped("new_value_char")[0].lower())

    def test_cancelling_the_order_closes_the_subscription(self):
        sub = self._create_subscription("2025-01-10")
        self._run_engine("2025-01-10")
        with freeze_time("2025-01-20"):
            sub._action_cancel()
        self.assertEqual(sub.state, "cancel")
        self.assertEqual(sub.subscription_state, "closed")
        self.assertEqual(sub.subscription_end_date, date(2025, 1, 20))
        self.assertFalse(self._run_engine("2025-03-01"))
        self.assertEqual(sub.subscription_invoice_count, 1)

    # ------------------------------------------------------------
    # Every day served billed once, no day not served
    # ------------------------------------------------------------

    def test_close_now_postpaid_bills_the_days_served(self):
        """Postpaid, January billed on 1 February, closed now on 10 February:
        1-10 February are billed, prorated (10 of 28 days), with their
        period, and nothing after."""
        template = self.template_monthly.copy({"invoicing_mode": "postpaid"})
        sub = self._create_subscription("2025-01-01", template=template)
        january = self._run_engine("2025-02-01")
        self.assertPeriods(january, [("2025-02-01", "2025-01-01", "2025-01-31")])
        with freeze_time("2025-02-10"):
            sub.action_subscription_close()
        last = sub.subscription_invoice_ids - january
        self.assertPeriods(last, [("2025-02-10", "2025-02-01", "2025-02-10")])
        # 30.00 x 10/28 = 10.71 and 36.00 x 10/28 = 12.86.
        self.assertEqual(
            sorted(last.invoice_line_ids.mapped("price_subtotal")), [10.71, 12.86]
        )
        self.assertEqual(last.amount_untaxed, 23.57)
        self.assertEqual(last.state, "posted")
        self.assertEqual(
            set(last.invoice_line_ids.mapped("start_date")), {date(2025, 2, 1)}
        )
        self.assertEqual(
            set(last.invoice_line_ids.mapped("end_date")), {date(2025, 2, 10)}
        )
        self.assertEqual(sub.subscription_state, "closed")
        self.assertEqual(sub.subscription_end_date, date(2025, 2, 10))
        self.assertFalse(self._run_engine("2025-03-01"))
        self.assertEqual(sub.subscription_invoice_count, 2)

    def test_close_now_postpaid_catches_up_then_bills_the_days_served(self):
        """Postpaid, never billed, closed on 5 March: January and February
        (due), then 1-5 March (5 of 31 days)."""
        template = self.template_monthly.copy({"invoicing_mode": "postpaid"})
        sub = self._create_subscription("2025-01-01", template=template)
        with freeze_time("2025-03-05"):
            sub.action_subscription_close()
        self.assertPeriods(
            sub.subscription_invoice_ids,
            [
                ("2025-03-05", "2025-01-01", "2025-01-31"),
                ("2025-03-05", "2025-02-01", "2025-02-28"),
                ("2025-03-05", "2025-03-01", "2025-03-05"),
            ],
        )
        # 30.00 x 5/31 = 4.84 and 36.00 x 5/31 = 5.81.
        self.assertEqual(
            sub.subscription_invoice_ids.sorted("id").mapped("amount_untaxed"),
            [66.0, 66.0, 10.65],
        )
        self.assertFalse(self._run_engine("2025-04-01"))

    def test_cancelling_a_paused_subscription_ends_it_paused(self):
        """Postpaid, paused on 20 January (10-19 January billed), cancelled at
        period end on 25 January: it closes paused that day, and the days
        paused are never billed (no invoice for 20 January - 9 February)."""
        template = self.template_monthly.copy({"invoicing_mode": "postpaid"})
        sub = self._create_subscription("2025-01-10", template=template)
        with freeze_time("2025-01-20"):
            sub.action_subscription_pause()
        served = sub.subscription_invoice_ids
        self.assertPeriods(served, [("2025-01-20", "2025-01-10", "2025-01-19")])
        # 30.00 x 10/31 = 9.68 and 36.00 x 10/31 = 11.61.
        self.assertEqual(served.amount_untaxed, 21.29)
        with freeze_time("2025-01-25"):
            self.assertEqual(sub.subscription_cancel_date, date(2025, 1, 25))
            sub.action_subscription_cancel_at_period_end()
        self.assertRecordValues(
            sub,
            [
                {
                    "subscription_state": "closed",
                    "subscription_end_date": date(2025, 1, 25),
                    "next_invoice_date": False,
                }
            ],
        )
        self.assertFalse(self._run_engine("2025-02-10"))
        self.assertFalse(self._run_engine("2025-03-10"))
        self.assertEqual(sub.subscription_invoice_ids, served)
        # Its MRR stopped with the pause; the cancellation moves nothing.
        self.assertEqual(
            sub.mrr_event_ids.sorted("id").mapped(
                lambda event: (event.date, event.reason, event.mrr_after)
            ),
            [(date(2025, 1, 10), "start", 66.0), (date(2025, 1, 20), "pause", 0.0)],
        )

    def test_resuming_a_trial_paused_continues_the_trial(self):
        """A 14-day trial from 1 March (to 14 March), paused on 5 March and
        resumed on 10 March: the 10 days of trial left run from 10 March, to
        19 March; the first invoice and the MRR start on 20 March."""
        template = self.template_monthly.copy({"trial_days": 14})
        sub = self._create_subscription("2025-03-01", template=template)
        with freeze_time("2025-03-05"):
            sub.action_subscription_pause()
        self.assertFalse(self._run_engine("2025-03-09"))
        with freeze_time("2025-03-10"):
            sub.action_subscription_resume()
        self.assertRecordValues(
            sub,
            [
                {
                    "subscription_state": "trial",
                    "trial_end_date": date(2025, 3, 20),
                    "next_invoice_date": date(2025, 3, 20),
                    "paused_since": False,
                }
            ],
        )
        self.assertFalse(sub.mrr_event_ids)
        self.assertFalse(self._run_engine("2025-03-19"))
        self.assertEqual(sub.subscription_state, "trial")
        moves = self._run_engine("2025-03-20")
        self.assertPeriods(moves, [("2025-03-20", "2025-03-20", "2025-04-19")])
        self.assertEqual(moves.amount_untaxed, 66.0)
        self.assertEqual(sub.subscription_state, "active")
        self.assertEqual(
            sub.mrr_event_ids.mapped(
                lambda event: (event.date, event.reason, event.mrr_after)
            ),
            [(date(2025, 3, 20), "trial_end", 66.0)],
        )

    def test_resuming_after_the_trial_paused_runs_paid(self):
        """Paused after its trial ended: resumed, it runs paid at once."""
        template = self.template_monthly.copy({"trial_days": 14})
        sub = self._create_subscription("2025-03-01", template=template)
        self._run_engine("2025-03-15")
        with freeze_time("2025-03-20"):
            sub.action_subscription_pause()
        with freeze_time("2025-03-25"):
            sub.action_subscription_resume()
        self.assertEqual(sub.subscription_state, "active")
        self.assertEqual(sub.trial_end_date, date(2025, 3, 15))
        self.assertEqual(sub.next_invoice_date, date(2025, 4, 20))
