# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The dunning job runs with no language, as Odoo's jobs do: what it writes
for the company's staff is in the company's language, its letters in the
customer's."""

from datetime import timedelta

from odoo.tests import tagged

from .common import RecurringDunningCommon


@tagged("post_install", "-at_install")
class TestDunningLanguage(RecurringDunningCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.company.partner_id.lang = "fr_FR"
        cls.customer.lang = "en_US"

    def test_job_notes_in_the_company_language_letters_in_the_customer_one(self):
        subscription = self._create_subscription("2026-01-05")
        invoice = self._invoice(subscription)
        due = invoice.invoice_date_due

        self._dun(due + timedelta(days=1), lang=None)
        self.assertEqual(invoice.dunning_state, "running")
        notes = invoice.message_ids.filtered(
            lambda message: "Relance démarrée selon le scénario" in message.body
        )
        self.assertEqual(len(notes), 1)
        self.assertFalse(
            invoice.message_ids.filtered(lambda m: "Dunning started" in m.body)
        )

        history = self._dun(due + timedelta(days=3), lang=None)
        self.assertEqual(history.action, "email")
        self.assertIn("payment reminder", history.mail_message_id.subject)

    def test_user_language_kept(self):
        """A user who runs the job writes in their own language."""
        subscription = self._create_subscription("2026-01-05")
        invoice = self._invoice(subscription)

        self._dun(invoice.invoice_date_due + timedelta(days=1), lang="en_US")
        self.assertEqual(
            len(invoice.message_ids.filtered(lambda m: "Dunning started" in m.body)),
            1,
        )
