# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Invoices walked through whole dunning policies, day by day."""

from datetime import date

from odoo import Command
from odoo.tests import tagged

from .common import RecurringDunningCommon


@tagged("post_install", "-at_install")
class TestDunningAutomaticPayment(RecurringDunningCommon):
    def _failed_invoice(self, token=None, **codes):
        """An invoice of a charged subscription whose charge failed on
        2026-01-05 with ``codes``."""
        subscription = self._create_charged_subscription(token=token)
        invoice = self._invoice(subscription)
        if token and token.payment_method_id.code == "sepa_direct_debit":
            invoice.recurring_prenotified = True
        tx = self._charge()
        self.assertEqual(len(tx), 1)
        self._fail_tx(tx, day="2026-01-05", **codes)
        return subscription, invoice

    def test_soft_decline_recovered_at_second_retry_without_email(self):
        subscription, invoice = self._failed_invoice(decline_code="insufficient_funds")
        self.assertRecordValues(
            invoice,
            [
                {
                    "dunning_state": "running",
                    "dunning_policy_id": self.policy_auto.id,
                    "dunning_start_date": date(2026, 1, 5),
                    "dunning_failure_class": "soft",
                    "dunning_next_date": date(2026, 1, 6),
                    "dunning_amount": 79.20,
                }
            ],
        )
        # The salesperson is told once; the retries add nothing.
        self.assertEqual(len(self._activities(subscription)), 1)
        self.assertFalse(self._dun("2026-01-05"))

        first = self._dun("2026-01-06")
        self.assertEqual(first.step_id, self._step(self.policy_auto, "retry", 0))
        self.assertEqual(first.outcome, "pending")
        self.assertEqual(len(invoice.recurring_charge_ids), 2)
        self._fail_tx(
            first.transaction_id, day="2026-01-06", decline_code="insufficient_funds"
        )
        self.assertEqual(first.outcome, "failed")
        self.assertFalse(first.email_sent)

        self.assertFalse(self._dun("2026-01-07"))
        second = self._dun("2026-01-08")
        self.assertEqual(second.step_id, self._step(self.policy_auto, "retry", 1))
        self._succeed_tx(second.transaction_id, day="2026-01-08")

        self.assertEqual(second.outcome, "paid")
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(invoice.dunning_state, "recovered")
        self.assertEqual(invoice.dunning_recovered_date, date(2026, 1, 8))
        self.assertFalse(self._dunning_mails(invoice))
        self.assertFalse(self._dun_days("2026-01-09", "2026-02-04"))
        self.assertEqual(len(invoice.recurring_charge_ids), 3)
        self.assertEqual(len(self._activities(subscription)), 1)

        report = self.env["recurring.dunning.report"].search(
            [("move_id", "=", invoice.id)]
        )
        self.assertRecordValues(
            report,
            [
                {
                    "policy_id": self.policy_auto.id,
                    "failed_amount": 79.20,
                    "recovered_amount": 79.20,
                    "recovery_rate": 100.0,
                    "recovered_step_id": second.step_id.id,
                    "recovered_attempt": 2,
                    "days_to_recover": 3,
                    "lost_count": 0,
                }
            ],
        )

    def test_hard_decline_never_retries_and_asks_for_a_new_method(self):
        subscription, invoice = self._failed_invoice(decline_code="lost_card")
        self.assertEqual(invoice.dunning_failure_class, "hard")
        refused = self._messages_with_subject(invoice, "payment method")
        self.assertEqual(len(refused), 1)

        history = self._dun_days("2026-01-06", "2026-01-20")
        retries = history.filtered(lambda h: h.action == "retry")
        self.assertEqual(len(retries), 4)
        self.assertEqual(set(retries.mapped("outcome")), {"skipped"})
        self.assertEqual(len(invoice.recurring_charge_ids), 1)
        # The non-silent retry steps still remind, with the update link.
        mails = self._dunning_mails(invoice)
        self.assertEqual(len(mails), 2)
        for mail in mails:
            self.assertIn("/my/payment_method", mail.body)
            self.assertIn("Update your payment method", mail.body)
            self.assertNotIn(invoice.get_portal_url(), mail.body)

    def test_authentication_needed_gets_the_pay_link(self):
        _subscription, invoice = self._failed_invoice(
            error_code="authentication_required"
        )
        self.assertEqual(invoice.dunning_failure_class, "customer")
        self._dun_days("2026-01-06", "2026-01-13")
        self.assertEqual(len(invoice.recurring_charge_ids), 1)
        mail = self._dunning_mails(invoice)
        self.assertEqual(len(mail), 1)
        self.assertIn(invoice.get_portal_url().split("?")[0], mail.body)

    def test_sepa_failure_is_retried_once_never_while_pending(self):
        sepa = self.env.ref("payment.payment_method_sepa_direct_debit")
        self.provider.payment_method_ids = [Command.link(sepa.id)]
        sepa.write({"active": True})
        token = self._create_token(payment_method_id=sepa.id, payment_details="3000")
        _subscription, invoice = self._failed_invoice(
            token=token, decline_code="insufficient_funds"
        )
        retry = self._dun("2026-01-06")
        self.assertEqual(retry.outcome, "pending")
        retry.transaction_id._set_pending()
        # The debit is pending: the second retry waits for its answer.
        self.assertFalse(self._dun("2026-01-08"))
        self.assertEqual(invoice.dunning_next_date, date(2026, 1, 9))
        self.assertEqual(len(invoice.recurring_charge_ids), 2)
        self._fail_tx(
            retry.transaction_id, day="2026-01-09", decline_code="insufficient_funds"
        )

        history = self._dun_days("2026-01-09", "2026-01-20")
        retries = history.filtered(lambda h: h.action == "retry")
        self.assertEqual(set(retries.mapped("outcome")), {"skipped"})
        self.assertEqual(len(invoice.recurring_charge_ids), 2)

    def _sepa_token(self):
        sepa = self.env.ref("payment.payment_method_sepa_direct_debit")
        self.provider.payment_method_ids = [Command.link(sepa.id)]
        sepa.write({"active": True})
        return self._create_token(payment_method_id=sepa.id, payment_details="3000")

    def test_sepa_customer_gets_every_reminder_past_the_retry_limit(self):
        """One SEPA retry under the default policy: the later retry steps
        cannot debit, yet the friendly reminder (D+7) and the second notice
        (D+14) reach the customer, each once, before the final notice."""
        _subscription, invoice = self._failed_invoice(
            token=self._sepa_token(), decline_code="insufficient_funds"
        )
        history = self._walk(
            "2026-01-06", "2026-01-23", decline_code="insufficient_funds"
        ).sorted("id")
        self.assertEqual(
            [(h.date, h.action, h.outcome, h.email_sent) for h in history],
            [
                (date(2026, 1, 6), "retry", "failed", False),
                (date(2026, 1, 8), "retry", "skipped", False),
                (date(2026, 1, 12), "retry", "skipped", True),
                (date(2026, 1, 19), "retry", "skipped", True),
                (date(2026, 1, 23), "email", "done", True),
            ],
        )
        self.assertEqual(len(invoice.recurring_charge_ids), 2)
        mails = self._dunning_mails(invoice)
        self.assertEqual(len(mails), 3)
        self.assertIn("payment reminder", mails[0].subject)
        self.assertIn("second notice", mails[1].subject)
        self.assertIn("final notice", mails[2].subject)
        self.assertEqual(history.mail_message_id, mails)
        self.assertEqual(mails.partner_ids, invoice.partner_id)

    def test_suspension_then_automatic_resumption(self):
        self.template_auto.dunning_allow_pause = False
        subscription, invoice = self._failed_invoice(decline_code="insufficient_funds")
        history = self._walk(
            "2026-01-06", "2026-01-26", decline_code="insufficient_funds"
        )
        self.assertEqual(len(invoice.recurring_charge_ids), 5)
        self.assertEqual(subscription.subscription_state, "suspended")
        self.assertFalse(subscription.service_access)
        suspension = history.filtered(lambda h: h.action == "suspend")
        self.assertEqual(suspension.date, date(2026, 1, 26))
        self.assertTrue(suspension.email_sent)
        # The pause is not offered: the template does not allow it.
        self.assertEqual(
            self._dun("2026-01-30").filtered(lambda h: h.action == "pause").outcome,
            "skipped",
        )
        # Invoicing goes on while suspended.
        self.assertEqual(len(self._run_engine("2026-02-05")), 1)

        self._pay(invoice, "2026-02-06")
        self.assertEqual(subscription.subscription_state, "active")
        self.assertTrue(subscription.service_access)
        self.assertEqual(invoice.dunning_state, "recovered")
        self.assertFalse(
            self._dun("2026-02-20").filtered(lambda h: h.move_id == invoice)
        )
