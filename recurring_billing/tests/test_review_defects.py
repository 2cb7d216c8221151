# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Defects found in review: each test failed before its fix."""

from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import RecurringBillingCommon


@tagged("post_install", "-at_install")
class TestReviewDefects(RecurringBillingCommon):
    def test_no_renewal_reminder_for_a_term_that_does_not_renew(self):
        template = self.template_yearly_fixed.copy()
        sub = self._create_subscription("2025-02-01", template=template)
        self.assertEqual(sub.subscription_end_date, date(2026, 1, 31))
        self.assertEqual(sub.renewal_reminder_date, date(2026, 1, 1))
        # The term will not renew after all: nothing to remind.
        template.auto_renew = False
        self.assertFalse(sub.renewal_reminder_date)
        SaleOrder = self.env["sale.order"]
        with freeze_time("2026-01-05"):
            SaleOrder._cron_subscription_reminders()
        self.assertFalse(sub.renewal_reminder_sent)
        self.assertFalse(
            sub.message_ids.filtered(lambda m: "renews on" in (m.subject or ""))
        )
        # Turned on again, the reminder date follows, and the reminder goes.
        template.auto_renew = True
        self.assertEqual(sub.renewal_reminder_date, date(2026, 1, 1))
        with freeze_time("2026-01-05"):
            SaleOrder._cron_subscription_reminders()
        self.assertTrue(sub.renewal_reminder_sent)
        self.assertEqual(
            len(sub.message_ids.filtered(lambda m: "renews on" in (m.subject or ""))),
            1,
        )

    def test_recurring_amount_follows_prices_and_adds_up_per_month(self):
        tiered = self._create_product(
            name="Seats (tiered)",
            type="service",
            lst_price=0.0,
            recurring_invoice=True,
            recurring_pricing_model="tiered",
            recurring_tier_ids=[
                Command.create({"up_to": 10, "unit_price": 10.0}),
                Command.create({"up_to": 0, "unit_price": 5.0}),
            ],
            invoice_policy="order",
        )
        monthly = self._create_subscription("2025-01-01", lines=[(tiered, 12)])
        # 10 x 10.00 + 2 x 5.00
        self.assertEqual(monthly.recurring_amount_untaxed, 110.0)
        tiered.recurring_tier_ids[0].unit_price = 4.0
        # 10 x 4.00 + 2 x 5.00: never the stale 110.00.
        self.assertEqual(monthly.recurring_amount_untaxed, 50.0)
        self.assertEqual(monthly.recurring_monthly_amount, 50.0)
        yearly_template = self.template_monthly.copy({"plan_id": self.plan_yearly.id})
        yearly = self._create_subscription(
            "2025-01-01",
            template=yearly_template,
            lines=[(self.product_cloud, 1)],
        )
        # The yearly price is 30.00 here: 2.50 a month.
        self.assertEqual(yearly.recurring_amount_untaxed, 30.0)
        self.assertEqual(yearly.recurring_monthly_amount, 2.5)
        quarterly = self._create_subscription(
            "2025-01-01",
            template=self.template_monthly.copy({"plan_id": self.plan_quarterly.id}),
            lines=[(self.product_seat, 1)],
        )
        self.assertEqual(quarterly.recurring_monthly_amount, 4.0)
        orders = monthly | yearly | quarterly
        self.assertEqual(sum(orders.mapped("recurring_monthly_amount")), 56.5)

    def test_change_of_a_product_on_two_lines(self):
        """2 + 3 seats on two lines, changed to 6 seats: the next invoice
        bills 6 x 12.00 = 72.00, not 9 seats."""
        sub = self._create_subscription(
            "2025-01-01",
            template=self.template_monthly.copy({"upsell_billing": "next_invoice"}),
            lines=[(self.product_seat, 2), (self.product_seat, 3)],
        )
        self._run_engine("2025-01-01")
        wizard = (
            self.env["recurring.change"]
            .with_context(active_id=sub.id, active_model="sale.order")
            .create({"change_date": "2025-01-01"})
        )
        seat = wizard.line_ids.filtered(
            lambda line: line.product_id == self.product_seat
        )
        self.assertEqual(seat.current_quantity, 5.0)
        preview = sub._preview_subscription_change(
            {self.product_seat: 6}, date(2025, 1, 1)
        )
        # One more seat for the whole of January.
        self.assertEqual(preview["amount_untaxed"], 12.0)
        with freeze_time("2025-01-01"):
            sub._subscription_change({self.product_seat: 6})
        self.assertEqual(sorted(sub.order_line.mapped("product_uom_qty")), [0.0, 6.0])
        self.assertEqual(sub.recurring_amount_untaxed, 72.0)
        february = self._run_engine("2025-02-01")
        # 72.00 for February + 12.00 for the seat added in January.
        self.assertEqual(february.amount_untaxed, 84.0)
        self.assertEqual(
            sorted(february.invoice_line_ids.mapped("price_subtotal")), [12.0, 72.0]
        )

    def test_reopening_an_expired_fixed_term_starts_a_new_term(self):
        template = self.template_monthly.copy(
            {"term_type": "fixed", "term_duration": 3, "auto_renew": False}
        )
        sub = self._create_subscription("2025-01-01", template=template)
        self.assertEqual(sub.subscription_end_date, date(2025, 3, 31))
        self._run_engine("2025-04-01")
        self.assertEqual(sub.subscription_state, "closed")
        self.assertEqual(sub.subscription_invoice_count, 3)
        with freeze_time("2025-05-10"):
            sub.action_subscription_reopen()
        self.assertEqual(sub.subscription_state, "active")
        self.assertEqual(sub.subscription_end_date, date(2025, 8, 9))
        self.assertEqual(sub.next_invoice_date, date(2025, 5, 10))
        moves = self._run_engine("2025-05-10")
        self.assertPeriods(moves, [("2025-05-10", "2025-05-10", "2025-06-09")])
        self.assertEqual(moves.amount_untaxed, 66.0)
        self.assertEqual(sub.subscription_state, "active")

    def test_failing_subscription_logs_its_traceback(self):
        product = self._create_product(
            name="Legacy plan",
            type="service",
            lst_price=50.0,
            recurring_invoice=True,
            invoice_policy="order",
            property_account_income_id=self.copy_account(
                self.company_data["default_account_revenue"]
            ).id,
        )
        broken = self._create_subscription("2025-06-01", lines=[(product, 1)])
        product.property_account_income_id.deprecated = True
        with self.assertLogs(
            "odoo.addons.recurring_billing.models.recurring_invoicing", "WARNING"
        ) as logs:
            self._run_engine("2025-06-01")
        records = [r for r in logs.records if r.levelname == "WARNING"]
        self.assertEqual(len(records), 1)
        self.assertIn(str(broken.id), records[0].getMessage())
        self.assertIsNotNone(records[0].exc_info)
        # The user sees the reason, not the traceback.
        self.assertIn("deprecated", broken.recurring_billing_error)
        self.assertNotIn("Traceback", broken.recurring_billing_error)

    def test_reminders_report_the_real_remaining_count(self):
        template = self.template_monthly.copy(
            {"trial_days": 14, "trial_reminder_days": 3}
        )
        subs = self.env["sale.order"]
        for _i in range(3):
            subs |= self._create_subscription("2025-03-01", template=template)
        progress = self.env["ir.cron.progress"].create(
            {
                "cron_id": self.env.ref(
                    "recurring_billing.ir_cron_subscription_reminders"
                ).id,
                "remaining": 0,
                "done": 0,
            }
        )
        SaleOrder = self.env["sale.order"].with_context(ir_cron_progress_id=progress.id)
        with freeze_time("2025-03-12"):
            SaleOrder._cron_subscription_reminders(batch_size=2)
            self.assertEqual((progress.done, progress.remaining), (2, 1))
            SaleOrder._cron_subscription_reminders(batch_size=2)
            self.assertEqual((progress.done, progress.remaining), (1, 0))
        # The reminders are queued for the mail queue, none sent inline.
        mails = self.env["mail.mail"].search(
            [
                ("model", "=", "sale.order"),
                ("res_id", "in", subs.ids),
                ("subject", "like", "your free trial ends"),
            ]
        )
        self.assertEqual(len(mails), 3)
        self.assertEqual(set(mails.mapped("state")), {"outgoing"})

    def test_postpaid_pause_bills_the_periods_served(self):
        """Postpaid from 13 December: paused on 20 January, resumed on 1 March.
        What was served before the pause (13-19 January) is billed when it
        pauses; from 1 March a new period starts: no invoice shows a period
        the customer was paused for."""
        template = self.template_monthly.copy({"invoicing_mode": "postpaid"})
        sub = self._create_subscription("2024-12-13", template=template)
        december = self._run_engine("2025-01-13")
        self.assertPeriods(december, [("2025-01-13", "2024-12-13", "2025-01-12")])
        with freeze_time("2025-01-20"):
            sub.action_subscription_pause()
        served = sub.subscription_invoice_ids - december
        self.assertPeriods(served, [("2025-01-20", "2025-01-13", "2025-01-19")])
        self.assertEqual(served.state, "posted")
        # 7 of 31 days: 30.00 -> 6.77 and 3 x 12.00 -> 8.13.
        self.assertEqual(
            sorted(served.invoice_line_ids.mapped("price_subtotal")), [6.77, 8.13]
        )
        self.assertEqual(served.amount_untaxed, 14.9)
        self.assertIn("7 of 31 days", served.invoice_line_ids[0].name)
        self.assertEqual(
            set(served.invoice_line_ids.mapped("start_date")), {date(2025, 1, 13)}
        )
        self.assertEqual(
            set(served.invoice_line_ids.mapped("end_date")), {date(2025, 1, 19)}
        )
        # The Factur-X says the same period (BT-73/BT-74).
        xml = self.env["account.edi.xml.cii"]._export_invoice(served)[0]
        self.assertIn(b"20250113", xml)
        self.assertIn(b"20250119", xml)
        self.assertFalse(self._run_engine("2025-02-28"))
        with freeze_time("2025-03-01"):
            sub.action_subscription_resume()
        self.assertEqual(sub.next_invoice_date, date(2025, 4, 1))
        self.assertFalse(self._run_engine("2025-03-31"))
        march = self._run_engine("2025-04-01")
        self.assertPeriods(march, [("2025-04-01", "2025-03-01", "2025-03-31")])
        self.assertEqual(march.amount_untaxed, 66.0)

    def test_postpaid_pause_on_a_period_start_bills_nothing_more(self):
        template = self.template_monthly.copy({"invoicing_mode": "postpaid"})
        sub = self._create_subscription("2025-01-01", template=template)
        with freeze_time("2025-02-01"):
            sub.action_subscription_pause()
        # January, due on 1 February, is billed; nothing of February.
        self.assertPeriods(
            sub.subscription_invoice_ids, [("2025-02-01", "2025-01-01", "2025-01-31")]
        )
        with freeze_time("2025-02-10"):
            sub.action_subscription_resume()
        self.assertEqual(sub.next_invoice_date, date(2025, 3, 10))
        moves = self._run_engine("2025-03-10")
        self.assertPeriods(moves, [("2025-03-10", "2025-02-10", "2025-03-09")])

    def test_unbilled_usage_has_its_own_index(self):
        self.env.cr.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = %s",
            ["recurring_usage_unbilled_idx"],
        )
        [indexdef] = self.env.cr.fetchone()
        self.assertIn("(subscription_id, date)", indexdef)
        self.assertIn("WHERE (move_id IS NULL)", indexdef)
