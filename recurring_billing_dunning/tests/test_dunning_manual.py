# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Customers who pay their invoices themselves: the dunning counts from the
due date."""

from datetime import timedelta

from odoo.tests import new_test_user, tagged
from odoo.tools import SQL

from .common import RecurringDunningCommon


@tagged("post_install", "-at_install")
class TestDunningManualPayment(RecurringDunningCommon):
    def setUp(self):
        super().setUp()
        self.subscription = self._create_subscription("2026-01-05")
        self.invoice = self._invoice(self.subscription)
        self.due = self.invoice.invoice_date_due

    def day(self, days):
        return self.due + timedelta(days=days)

    def test_reminders_then_suspension_then_resumption_on_payment(self):
        self.assertFalse(self._dun(self.day(0)))
        self.assertFalse(self.invoice.dunning_state)

        history = self._dun_days(self.day(1), self.day(19))
        self.assertEqual(self.invoice.dunning_state, "running")
        self.assertEqual(self.invoice.dunning_policy_id, self.policy_manual)
        self.assertEqual(self.invoice.dunning_start_date, self.due)
        self.assertEqual(
            [(h.date - self.due).days for h in history.sorted("id")], [3, 10, 17]
        )
        self.assertEqual(set(history.mapped("outcome")), {"done"})
        mails = self._dunning_mails(self.invoice)
        self.assertEqual(len(mails), 3)
        self.assertIn("payment reminder", mails[0].subject)
        self.assertIn("second notice", mails[1].subject)
        self.assertIn("final notice", mails[2].subject)
        self.assertIn(self.invoice.get_portal_url().split("?")[0], mails[0].body)
        self.assertIn("79.20", mails[0].body)
        self.assertEqual(history.mail_message_id, mails)
        self.assertEqual(self.subscription.subscription_state, "active")

        suspension = self._dun(self.day(20))
        self.assertEqual(suspension.action, "suspend")
        self.assertRecordValues(
            self.subscription,
            [
                {
                    "subscription_state": "suspended",
                    "service_access": False,
                    "dunning_suspended_since": self.day(20),
                }
            ],
        )
        self.assertIn("suspended", self._dunning_mails(self.invoice)[-1].subject)

        self._pay(self.invoice, self.day(22))
        self.assertEqual(self.subscription.subscription_state, "active")
        self.assertTrue(self.subscription.service_access)
        self.assertFalse(self.subscription.dunning_suspended_since)
        self.assertEqual(self.invoice.dunning_state, "recovered")
        self.assertFalse(
            self._dun_days(self.day(23), self.day(70)).filtered(
                lambda h: h.move_id == self.invoice
            )
        )

    def test_payment_mid_policy_stops_it(self):
        self._dun_days(self.day(1), self.day(5))
        self.assertEqual(len(self._dunning_mails(self.invoice)), 1)
        self._pay(self.invoice, self.day(6))
        self.assertEqual(self.invoice.dunning_state, "recovered")
        self.assertFalse(
            self._dun_days(self.day(6), self.day(70)).filtered(
                lambda h: h.move_id == self.invoice
            )
        )
        self.assertEqual(len(self._dunning_mails(self.invoice)), 1)

    def test_payment_is_checked_when_acting(self):
        """Even when the plan is stale (paid by a path that did not update
        the dunning), nothing is sent after the payment."""
        self._dun(self.day(3))
        self._pay(self.invoice, self.day(6))
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE account_move SET dunning_state = 'running', "
                "dunning_next_date = %s WHERE id = %s",
                self.day(10),
                self.invoice.id,
            )
        )
        self.env.invalidate_all()
        self.assertFalse(self._dun(self.day(10)))
        self.assertEqual(self.invoice.dunning_state, "recovered")
        self.assertEqual(len(self._dunning_mails(self.invoice)), 1)

    def test_each_step_fires_once_under_reruns(self):
        for _run in range(3):
            self._dun_days(self.day(1), self.day(12))
        self.assertEqual(len(self.invoice.dunning_history_ids), 2)
        self.assertEqual(len(self._dunning_mails(self.invoice)), 2)

    def test_closing_after_the_whole_policy(self):
        self.template_monthly.dunning_allow_pause = True
        history = self._dun_days(self.day(1), self.day(60))
        self.assertEqual(
            history.sorted("id").mapped("action"),
            ["email", "email", "email", "suspend", "pause", "notice", "close"],
        )
        self.assertRecordValues(
            self.subscription,
            [
                {
                    "subscription_state": "closed",
                    "close_reason_id": self.env.ref(
                        "recurring_billing.close_reason_unpaid"
                    ).id,
                    "service_access": False,
                }
            ],
        )
        self.assertEqual(self.invoice.dunning_state, "closed")
        report = self.env["recurring.dunning.report"].search(
            [("move_id", "=", self.invoice.id)]
        )
        self.assertEqual(report.lost_count, 1)
        self.assertEqual(report.recovered_amount, 0.0)

    def test_customer_without_email_address_is_flagged(self):
        """No address: the reminders are in the chatter, the history says
        they were not emailed, and the accountant finds them by the filter."""
        self.customer.email = False
        history = self._dun_days(self.day(1), self.day(12)).sorted("id")
        self.assertEqual(
            [
                ((h.date - self.due).days, h.outcome, h.email_sent, h.email_missing)
                for h in history
            ],
            [(3, "done", False, True), (10, "done", False, True)],
        )
        self.assertEqual(history.mail_message_id, self._dunning_mails(self.invoice))
        flagged = self.env["recurring.dunning.history"].search(
            [("email_missing", "=", True), ("move_id", "=", self.invoice.id)]
        )
        self.assertEqual(flagged, history)
        self.customer.email = "compta@boulangerie-martin.example"
        third = self._dun(self.day(17))
        self.assertRecordValues(
            third, [{"outcome": "done", "email_sent": True, "email_missing": False}]
        )

    def test_billing_user_sees_the_history(self):
        self._dun(self.day(3))
        user = new_test_user(
            self.env,
            login="dunning_billing",
            groups="account.group_account_invoice",
            company_id=self.company.id,
        )
        invoice = self.invoice.with_user(user)
        self.assertEqual(len(invoice.dunning_history_ids), 1)
        self.assertEqual(invoice.dunning_history_ids.outcome, "done")
        self.assertEqual(invoice.dunning_policy_id.name, "Manual payment")
