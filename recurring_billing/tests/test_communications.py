# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date

from freezegun import freeze_time

from odoo.tests import tagged

from .common import RecurringBillingCommon


@tagged("post_install", "-at_install")
class TestCommunications(RecurringBillingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.email = "compta@boulangerie-martin.example"

    def _subjects(self, record):
        record.invalidate_recordset(["message_ids"])
        return record.message_ids.mapped("subject")

    def test_lifecycle_emails(self):
        sub = self._create_subscription("2025-01-10")
        self.assertIn(
            f"{self.company.name}: welcome, your subscription {sub.name} has started",
            self._subjects(sub),
        )
        welcome = sub.message_ids.filtered(lambda m: "welcome" in (m.subject or ""))
        self.assertEqual(welcome.partner_ids, self.customer)
        self.assertIn("Boulangerie Martin", welcome.body)
        self.assertIn(f"/logo.png?company={self.company.id}", welcome.body)
        with freeze_time("2025-01-20"):
            sub.action_subscription_pause()
        with freeze_time("2025-01-25"):
            sub.action_subscription_resume()
            sub.action_subscription_cancel_at_period_end()
        subjects = self._subjects(sub)
        self.assertIn(
            f"{self.company.name}: your subscription {sub.name} is paused", subjects
        )
        self.assertIn(
            f"{self.company.name}: your subscription {sub.name} has resumed", subjects
        )
        self.assertIn(
            f"{self.company.name}: cancellation of your subscription {sub.name}",
            subjects,
        )

    def test_turned_off_email_is_not_sent(self):
        template = self.template_monthly.copy({"welcome_mail_template_id": False})
        sub = self._create_subscription("2025-01-10", template=template)
        self.assertFalse([s for s in self._subjects(sub) if s and "welcome" in s])

    def test_trial_ending_reminder_is_sent_once(self):
        template = self.template_monthly.copy(
            {"trial_days": 14, "trial_reminder_days": 3}
        )
        sub = self._create_subscription("2025-03-01", template=template)
        self.assertEqual(sub.trial_reminder_date, date(2025, 3, 12))
        SaleOrder = self.env["sale.order"]
        with freeze_time("2025-03-11"):
            SaleOrder._cron_subscription_reminders()
        self.assertFalse(sub.trial_reminder_sent)
        with freeze_time("2025-03-12"):
            SaleOrder._cron_subscription_reminders()
            SaleOrder._cron_subscription_reminders()
        self.assertTrue(sub.trial_reminder_sent)
        reminders = [s for s in self._subjects(sub) if "free trial ends" in (s or "")]
        self.assertEqual(
            reminders, [f"{self.company.name}: your free trial ends on 03/15/2025"]
        )

    def test_renewal_reminder_before_each_renewal(self):
        sub = self._create_subscription(
            "2025-02-01", template=self.template_yearly_fixed
        )
        SaleOrder = self.env["sale.order"]
        with freeze_time("2025-12-31"):
            SaleOrder._cron_subscription_reminders()
        self.assertFalse(sub.renewal_reminder_sent)
        with freeze_time("2026-01-01"):
            SaleOrder._cron_subscription_reminders()
        self.assertTrue(sub.renewal_reminder_sent)
        self._run_engine("2026-02-01")  # renews until 31 January 2027
        self.assertEqual(sub.subscription_end_date, date(2027, 1, 31))
        self.assertFalse(sub.renewal_reminder_sent)
        with freeze_time("2027-01-01"):
            SaleOrder._cron_subscription_reminders()
        reminders = [s for s in self._subjects(sub) if s and "renews on" in s]
        prefix = f"{self.company.name}: your subscription {sub.name} renews on"
        self.assertEqual(
            sorted(reminders), [f"{prefix} 01/31/2026", f"{prefix} 01/31/2027"]
        )

    def test_invoices_are_queued_for_odoo_sending_job(self):
        self._create_subscription("2025-01-10")
        move = self._run_engine("2025-01-10")
        self.assertEqual(move.sending_data["sending_methods"], ["email"])
        self.assertEqual(
            move._get_mail_template(),
            self.env.ref("account.email_template_edi_invoice"),
        )
        silent = self.template_monthly.copy({"invoice_mail_template_id": False})
        self._create_subscription("2025-01-10", template=silent)
        move = self._run_engine("2025-01-10")
        self.assertFalse(move.sending_data)

    def test_invoice_is_emailed_with_its_pdf(self):
        sub = self._create_subscription("2025-01-10")
        move = self._run_engine("2025-01-10")
        self.env["account.move.send"]._generate_and_send_invoices(move, from_cron=True)
        self.assertTrue(move.is_move_sent)
        self.assertFalse(move.sending_data)
        self.assertTrue(move.invoice_pdf_report_id)
        sent = move.message_ids.filtered(lambda m: m.attachment_ids)
        self.assertIn(
            move.invoice_pdf_report_id.name, sent.attachment_ids.mapped("name")
        )
        self.assertEqual(sent.partner_ids, self.customer)
        self.assertEqual(move.subscription_id, sub)

    def test_payment_received_email(self):
        self._create_subscription("2025-01-10")
        move = self._run_engine("2025-01-10")
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=move.ids
        ).create({"payment_date": "2025-01-12"})._create_payments()
        self.assertIn(move.payment_state, ("paid", "in_payment"))
        self.assertIn(
            f"{self.company.name}: payment received for invoice {move.name}",
            self._subjects(move),
        )
