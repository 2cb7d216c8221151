# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""A subscriber on the customer portal in a real browser (Chromium)."""

import re
from datetime import date

from odoo import Command
from odoo.tests import tagged

from .common_portal import RecurringPortalCommon


@tagged("post_install", "-at_install")
class TestPortalTours(RecurringPortalCommon):
    def test_view_download_and_upgrade(self):
        seat_line = self.subscription.order_line.filtered(
            lambda line: line.product_id == self.product_seat
        )
        preview = self.subscription._preview_subscription_change({self.product_seat: 5})
        self.start_tour(
            "/my", "recurring_portal_view_upgrade", login="rb_portal_subscriber"
        )
        self.assertEqual(seat_line.product_uom_qty, 5)
        change_order = self.subscription.subscription_change_order_ids
        self.assertEqual(len(change_order), 1)
        self.assertEqual(change_order.amount_total, preview["amount_total"])
        self.assertEqual(change_order.invoice_ids.state, "posted")

    def test_switch_offer(self):
        premium = self._create_product(
            name="Premium hosting",
            type="service",
            lst_price=50.0,
            recurring_invoice=True,
            invoice_policy="order",
        )
        self.template_portal.switch_product_ids = [
            Command.set((self.product_cloud | premium).ids)
        ]
        preview = self.subscription._preview_subscription_change(
            {self.product_cloud: 0.0, premium: 1.0}
        )
        self.start_tour(
            f"/my/subscriptions/{self.subscription.id}",
            "recurring_portal_switch_offer",
            login="rb_portal_subscriber",
        )
        quantities = {
            line.product_id: line.product_uom_qty
            for line in self.subscription.order_line
        }
        self.assertEqual((quantities[self.product_cloud], quantities[premium]), (0, 1))
        change_order = self.subscription.subscription_change_order_ids
        self.assertEqual(len(change_order), 1)
        self.assertEqual(change_order.amount_total, preview["amount_total"])
        self.assertEqual(change_order.invoice_ids.amount_total, preview["amount_total"])

    def test_pause_resume_and_cancel_in_three_clicks(self):
        self.start_tour(
            f"/my/subscriptions/{self.subscription.id}",
            "recurring_portal_pause_cancel",
            login="rb_portal_subscriber",
        )
        self.assertEqual(self.subscription.subscription_state, "to_close")
        self.assertEqual(
            self.subscription.subscription_end_date,
            self.subscription._get_cancellation_end_date(),
        )
        self.assertEqual(
            self.subscription.close_reason_id,
            self.env["recurring.close.reason"].search([], limit=1),
        )
        subjects = (
            self.env["mail.mail"]
            .search(
                [("model", "=", "sale.order"), ("res_id", "=", self.subscription.id)]
            )
            .mapped("subject")
        )
        self.assertTrue(any("is paused" in subject for subject in subjects))
        self.assertTrue(any("has resumed" in subject for subject in subjects))
        self.assertTrue(any("cancellation" in subject for subject in subjects))

    def test_public_cancellation_through_the_emailed_link(self):
        self.start_tour(
            f"/subscriptions/cancel?ref={self.subscription.name}",
            "recurring_portal_public_request",
        )
        # The page only records the request; the job queues the link.
        self.assertFalse(
            self.env["mail.mail"].search([("model", "=", "recurring.cancel.request")])
        )
        mail = self.env["recurring.cancel.request"].sudo()._cron_process_requests()
        self.assertEqual(mail.email_to, "compta@boulangerie-martin.example")
        self.assertEqual(self.subscription.subscription_state, "active")
        link = re.search(
            r'href="[^"]*(/subscriptions/cancel/\d+/[^"]+)"', mail.body_html
        ).group(1)
        self.start_tour(link, "recurring_portal_public_confirm")
        self.assertEqual(self.subscription.subscription_state, "to_close")
        self.assertTrue(
            self.env["mail.mail"].search(
                [
                    ("model", "=", "sale.order"),
                    ("res_id", "=", self.subscription.id),
                    ("subject", "ilike", "cancellation"),
                ]
            )
        )

    def test_replace_the_card_through_odoos_payment_form(self):
        provider = self._prepare_demo_provider()
        if not provider:
            self.skipTest("payment_demo is not installed (tasks.py test installs it)")
        old_token = self._create_demo_token(
            provider, "1111", expiry_date=date(2027, 3, 31)
        )
        self.subscription.payment_token_id = old_token
        self.start_tour(
            f"/my/subscriptions/{self.subscription.id}",
            "recurring_portal_replace_card",
            login="rb_portal_subscriber",
        )
        new_token = self.subscription.payment_token_id
        self.assertNotEqual(new_token, old_token)
        self.assertEqual(new_token.payment_details, "4242")
        self.assertEqual(new_token.partner_id, self.customer)
        self.assertEqual(new_token.provider_id, provider)
        tx = self.env["payment.transaction"].search([("token_id", "=", new_token.id)])
        self.assertEqual(tx.operation, "validation")
        self.assertEqual(tx.recurring_subscription_id, self.subscription)
        self.assertTrue(
            self.subscription.message_ids.filtered(
                lambda m: "Payment method replaced by the customer" in (m.body or "")
                and "1111" in m.body
                and "4242" in m.body
            )
        )
