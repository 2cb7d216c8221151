# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta

from odoo import Command
from odoo.tests import HttpCase, tagged

from .common import TEMPLATE, RecurringDunningCommon


@tagged("post_install", "-at_install")
class TestDunningPauseLink(RecurringDunningCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.template_monthly.dunning_allow_pause = True
        cls.env["recurring.dunning.policy"].create(
            {
                "name": "Pause early",
                "company_id": cls.company.id,
                "payment_mode": "manual",
                "sequence": 1,
                "step_ids": [
                    Command.create(
                        {
                            "name": "Reminder",
                            "sequence": 1,
                            "delay_days": 1,
                            "action": "email",
                            "mail_template_id": cls.env.ref(TEMPLATE + "friendly").id,
                        }
                    ),
                    Command.create(
                        {
                            "name": "Suspend",
                            "sequence": 2,
                            "delay_days": 3,
                            "action": "suspend",
                        }
                    ),
                    Command.create(
                        {
                            "name": "Pause offer",
                            "sequence": 3,
                            "delay_days": 5,
                            "action": "pause",
                            "mail_template_id": cls.env.ref(TEMPLATE + "pause").id,
                        }
                    ),
                    Command.create(
                        {
                            "name": "Second",
                            "sequence": 4,
                            "delay_days": 10,
                            "action": "email",
                            "mail_template_id": cls.env.ref(TEMPLATE + "second").id,
                        }
                    ),
                ],
            }
        )

    def test_pause_accepted_from_the_email_link(self):
        subscription = self._create_subscription("2026-01-05")
        invoice = self._invoice(subscription)
        due = invoice.invoice_date_due
        history = self._dun_days(due + timedelta(days=1), due + timedelta(days=5))
        offer = history.filtered(lambda h: h.action == "pause")
        self.assertTrue(offer.email_sent)
        self.assertEqual(subscription.subscription_state, "suspended")
        url = offer._get_pause_url()
        self.assertIn(url, offer.mail_message_id.body)
        path = url[len(invoice.get_base_url()) :]

        # A wrong token, or the token of another line, opens nothing.
        self.assertEqual(self.url_open(path[:-4] + "0000").status_code, 404)
        # Opening the link changes nothing (mail scanners follow links).
        page = self.url_open(path)
        self.assertEqual(page.status_code, 200)
        self.assertIn("dunning_pause_confirm", page.text)
        self.assertEqual(subscription.subscription_state, "suspended")

        done = self.url_open(path, data={"confirm": "1"})
        self.assertEqual(done.status_code, 200)
        self.assertIn("dunning_pause_done", done.text)
        self.env.invalidate_all()
        self.assertEqual(subscription.subscription_state, "paused")
        self.assertEqual(invoice.dunning_state, "paused")
        self.assertFalse(
            self._dun_days(due + timedelta(days=6), due + timedelta(days=15)).filtered(
                lambda h: h.move_id == invoice
            )
        )
        # The link is one-click: opening it again says it is done.
        self.assertIn("dunning_pause_done", self.url_open(path).text)
