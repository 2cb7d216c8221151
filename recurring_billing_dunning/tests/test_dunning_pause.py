# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date, timedelta

from freezegun import freeze_time

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

        # The customer opens the link the day of the email.
        with freeze_time(offer.date):
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
        with freeze_time(offer.date):
            self.assertIn("dunning_pause_done", self.url_open(path).text)

    def _offer(self, subscription):
        invoice = self._invoice(subscription)
        due = invoice.invoice_date_due
        history = self._dun_days(due + timedelta(days=1), due + timedelta(days=5))
        offer = history.filtered(lambda h: h.action == "pause")
        self.assertEqual(offer.date, due + timedelta(days=5))
        self.assertTrue(offer.email_sent)
        return invoice, offer, offer._get_pause_url()[len(invoice.get_base_url()) :]

    def test_paused_invoice_is_chased_again_when_the_subscription_resumes(self):
        subscription = self._create_subscription("2026-01-05")
        invoice, offer, path = self._offer(subscription)
        with freeze_time("2026-01-10"):
            self.assertIn(
                "dunning_pause_done", self.url_open(path, data={"confirm": "1"}).text
            )
        self.env.invalidate_all()
        self.assertEqual(subscription.paused_since, date(2026, 1, 10))
        self.assertEqual(invoice.dunning_state, "paused")
        self.assertFalse(self._dun_days("2026-01-11", "2026-01-31"))

        with freeze_time("2026-02-01"):
            subscription.action_subscription_resume()
        # Paused 22 days: the step of day 10 comes on 15 + 22 = 6 February.
        self.assertRecordValues(
            invoice,
            [
                {
                    "dunning_state": "running",
                    "dunning_start_date": date(2026, 1, 27),
                    "dunning_next_step_id": self._step(offer.policy_id, "email", 1).id,
                    "dunning_next_date": date(2026, 2, 6),
                }
            ],
        )
        self.assertFalse(self._dun_days("2026-02-01", "2026-02-05"))
        second = self._dun("2026-02-06")
        self.assertRecordValues(
            second, [{"action": "email", "outcome": "done", "email_sent": True}]
        )
        self.assertIn("second notice", second.mail_message_id.subject)
        # The reminder, the pause offer, the second notice.
        self.assertEqual(len(self._dunning_mails(invoice)), 3)

    def test_pause_link_expires_and_needs_the_invoice_in_dunning(self):
        subscription = self._create_subscription("2026-01-05")
        invoice, offer, path = self._offer(subscription)
        self.assertEqual(offer.policy_id.pause_link_days, 14)
        with freeze_time("2026-01-25"):
            page = self.url_open(path, data={"confirm": "1"})
        self.assertIn("dunning_pause_error", page.text)
        self.env.invalidate_all()
        self.assertEqual(subscription.subscription_state, "suspended")
        # Within the days, but paid: nothing to pause for.
        self._pay(invoice, "2026-01-12")
        with freeze_time("2026-01-12"):
            page = self.url_open(path, data={"confirm": "1"})
        self.assertIn("dunning_pause_error", page.text)
        self.env.invalidate_all()
        self.assertEqual(subscription.subscription_state, "active")

    def test_public_pause_posts_the_served_part_of_a_postpaid_period(self):
        template = self.template_monthly.copy({"invoicing_mode": "postpaid"})
        subscription = self._create_subscription("2025-12-05", template=template)
        invoice, _offer, path = self._offer(subscription)
        self.assertEqual(invoice.invoice_date_due, date(2026, 1, 5))
        with freeze_time("2026-01-10"):
            self.url_open(path, data={"confirm": "1"})
        self.env.invalidate_all()
        self.assertEqual(subscription.subscription_state, "paused")
        served = subscription.subscription_invoice_ids - invoice
        self.assertRecordValues(
            served,
            [
                {
                    "state": "posted",
                    "invoice_date": date(2026, 1, 10),
                    "amount_untaxed": 10.65,
                }
            ],
        )

    def test_suspended_subscription_can_be_cancelled(self):
        subscription = self._create_subscription("2026-01-05")
        invoice = self._invoice(subscription)
        self._dun_days("2026-01-06", "2026-01-08")
        self.assertEqual(subscription.subscription_state, "suspended")
        self.assertTrue(subscription._portal_can_cancel())
        with freeze_time("2026-01-09"):
            self.assertEqual(
                subscription._get_portal_cancellation_date(), date(2026, 1, 9)
            )
            subscription._portal_cancel(self.customer, channel="public")
        self.assertRecordValues(
            subscription,
            [
                {
                    "subscription_state": "closed",
                    "subscription_end_date": date(2026, 1, 9),
                    "service_access": False,
                }
            ],
        )
        # The debt remains: the dunning goes on.
        self.assertEqual(invoice.dunning_state, "running")
        self.assertEqual(invoice.payment_state, "not_paid")
        self.assertEqual(
            len(
                subscription.message_ids.filtered(
                    lambda m: "while suspended for non-payment" in (m.body or "")
                )
            ),
            1,
        )
