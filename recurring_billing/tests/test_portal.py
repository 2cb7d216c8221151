# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The customer portal over HTTP: who may see and do what, and that every
refused request leaves the subscription as it was."""

import re
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import Command
from odoo.tests import tagged
from odoo.tools import format_date

from .common_portal import RecurringPortalCommon


@tagged("post_install", "-at_install")
class TestPortalAccess(RecurringPortalCommon):
    def test_list_and_home_count_only_own_subscriptions(self):
        self.authenticate("rb_portal_subscriber", "rb_portal_subscriber")
        response = self.url_open("/my/subscriptions")
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.subscription.name, response.text)
        self.assertNotIn(self.other_subscription.name, response.text)
        counters = self.make_jsonrpc_request(
            "/my/counters", {"counters": ["subscription_count"]}
        )
        self.assertEqual(counters["subscription_count"], 1)

    def test_page_shows_subscription_and_invoices(self):
        self.authenticate("rb_portal_subscriber", "rb_portal_subscriber")
        response = self.url_open(f"/my/subscriptions/{self.subscription.id}")
        self.assertEqual(response.status_code, 200)
        invoices = self.subscription.subscription_invoice_ids
        self.assertEqual(len(invoices), 2)
        for invoice in invoices:
            self.assertIn(invoice.name, response.text)
        self.assertIn('id="subscription_payment_method"', response.text)
        self.assertIn("o_subscription_pause", response.text)
        # 1 x 30.00 + 3 x 12.00 = 66.00, 79.20 with 20 % VAT.
        self.assertIn("79.20", response.text)
        # The sale order page of a subscription is its subscription page.
        response = self.url_open(f"/my/orders/{self.subscription.id}")
        self.assertTrue(
            response.url.endswith(f"/my/subscriptions/{self.subscription.id}")
        )

    def test_another_customers_subscription_is_refused(self):
        before = self._snapshot(self.other_subscription)
        self.authenticate("rb_portal_subscriber", "rb_portal_subscriber")
        own_page = f"/my/subscriptions/{self.subscription.id}"
        csrf = self._csrf_token(own_page + "/cancel")
        other = f"/my/subscriptions/{self.other_subscription.id}"
        response = self.url_open(other)
        self.assertNotIn(self.other_subscription.name, response.text)
        self.assertTrue(response.url.endswith("/my"), response.url)
        for suffix, data in (
            ("/pause", {}),
            ("/cancel/confirm", {}),
            ("/change/confirm", {f"qty_{self.product_seat.id}": "10"}),
            ("/billing", {"street": "1 rue Volée", "vat": ""}),
        ):
            response = self.url_open(other + suffix, data={"csrf_token": csrf, **data})
            self.assertTrue(response.url.endswith("/my"), suffix)
        self.assertEqual(self._snapshot(self.other_subscription), before)
        self.assertNotEqual(self.other_customer.street, "1 rue Volée")

    def test_wrong_access_token_is_refused(self):
        before = self._snapshot(self.subscription)
        self.subscription._portal_ensure_token()
        url = f"/my/subscriptions/{self.subscription.id}"
        response = self.url_open(f"{url}?access_token=wrong-token")
        self.assertNotIn(self.subscription.name, response.text)
        self.assertIn("/web/login", response.url)
        # The right token opens it without an account.
        response = self.url_open(f"{url}?access_token={self.subscription.access_token}")
        self.assertIn(self.subscription.name, response.text)
        csrf = self._csrf_token(
            f"{url}/cancel?access_token={self.subscription.access_token}"
        )
        response = self.url_open(
            f"{url}/pause?access_token=wrong-token", data={"csrf_token": csrf}
        )
        self.assertEqual(self._snapshot(self.subscription), before)

    def test_chatter_of_a_visitor_with_the_access_token(self):
        self.subscription._portal_ensure_token()
        access_token = self.subscription.access_token
        page = self.url_open(
            f"/my/subscriptions/{self.subscription.id}?access_token={access_token}"
        ).text
        discussion = re.search(r'<div id="discussion"[^>]*>', page).group(0)
        self.assertIn(f'data-token="{access_token}"', discussion)
        self.assertIn(f'data-res_id="{self.subscription.id}"', discussion)

    def test_access_token_of_a_sale_order_is_no_subscription(self):
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "order_line": [Command.create({"product_id": self.product_setup.id})],
            }
        )
        order._portal_ensure_token()
        response = self.url_open(
            f"/my/subscriptions/{order.id}?access_token={order.access_token}"
        )
        self.assertNotIn(order.name, response.text)

    def test_forged_posts_without_csrf_are_refused(self):
        before = self._snapshot(self.subscription)
        self.authenticate("rb_portal_subscriber", "rb_portal_subscriber")
        url = f"/my/subscriptions/{self.subscription.id}"
        for suffix, data in (
            ("/pause", {}),
            ("/cancel/confirm", {}),
            ("/change/confirm", {f"qty_{self.product_seat.id}": "10"}),
            ("/billing", {"street": "1 rue Volée"}),
        ):
            # A form posted from another site, without the CSRF token.
            with self.assertLogs("odoo.http", "WARNING"):
                response = self.url_open(url + suffix, data={"forged": "1", **data})
            self.assertEqual(response.status_code, 400, suffix)
        with self.assertLogs("odoo.http", "WARNING"):
            response = self.url_open(
                "/subscriptions/cancel",
                data={
                    "name": "x",
                    "email": self.customer.email,
                    "reference": self.subscription.name,
                },
            )
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self._snapshot(self.subscription), before)
        self.assertFalse(self.env["recurring.cancel.request"].search([]))
        self.assertNotEqual(self.customer.street, "1 rue Volée")

    def test_closed_subscription_refuses_actions(self):
        self.subscription._subscription_close(self.today)
        before = self._snapshot(self.subscription)
        self.authenticate("rb_portal_subscriber", "rb_portal_subscriber")
        url = f"/my/subscriptions/{self.subscription.id}"
        page = self.url_open(url)
        self.assertIn(self.subscription.name, page.text)
        self.assertNotIn("o_subscription_cancel", page.text)
        self.assertNotIn("o_subscription_pause", page.text)
        csrf = self._csrf_token("/subscriptions/cancel")
        for suffix, data in (
            ("/pause", {}),
            ("/resume", {}),
            ("/cancel/confirm", {}),
            ("/change/confirm", {f"qty_{self.product_seat.id}": "10"}),
        ):
            response = self.url_open(url + suffix, data={"csrf_token": csrf, **data})
            self.assertEqual(response.status_code, 200, suffix)
            self.assertIn("o_subscription_error", response.text, suffix)
        self.assertEqual(self._snapshot(self.subscription), before)

    def test_another_companys_subscription_is_refused(self):
        company_b = self.setup_other_company(name="Nuage Belgique")["company"]
        self.env.user.company_ids |= company_b
        sub_b = self._create_subscription(
            self.start, template=self.template_portal, company_id=company_b.id
        )
        self.assertEqual(sub_b.partner_id, self.customer)
        before = self._snapshot(sub_b)
        self.authenticate("rb_portal_subscriber", "rb_portal_subscriber")
        response = self.url_open("/my/subscriptions")
        self.assertNotIn(sub_b.name, response.text)
        csrf = self._csrf_token(f"/my/subscriptions/{self.subscription.id}/cancel")
        url = f"/my/subscriptions/{sub_b.id}"
        self.assertTrue(self.url_open(url).url.endswith("/my"))
        for suffix in ("/pause", "/cancel/confirm"):
            response = self.url_open(url + suffix, data={"csrf_token": csrf})
            self.assertTrue(response.url.endswith("/my"), suffix)
        self.assertEqual(self._snapshot(sub_b), before)


@tagged("post_install", "-at_install")
class TestPortalActions(RecurringPortalCommon):
    def _post(self, suffix, data=None):
        url = f"/my/subscriptions/{self.subscription.id}"
        csrf = self._csrf_token("/subscriptions/cancel")
        return self.url_open(url + suffix, data={"csrf_token": csrf, **(data or {})})

    def test_change_previews_then_applies_as_the_wizard(self):
        self.authenticate("rb_portal_subscriber", "rb_portal_subscriber")
        quantities = {
            f"qty_{self.product_seat.id}": "5",
            f"qty_{self.product_backup.id}": "1",
        }
        preview = self.subscription._preview_subscription_change(
            {self.product_seat: 5.0, self.product_backup: 1.0}
        )
        response = self._post("/change", quantities)
        self.assertIn("o_subscription_change_preview", response.text)
        self.assertIn(f"{preview['amount_total']:.2f}".replace("-", ""), response.text)
        # Nothing changes before the confirmation.
        self.assertEqual(
            self.subscription.order_line.filtered(
                lambda line: line.product_id == self.product_seat
            ).product_uom_qty,
            3,
        )
        response = self._post("/change/confirm", quantities)
        self.assertIn('data-notice="changed"', response.text)
        lines = {
            line.product_id: line.product_uom_qty
            for line in self.subscription.order_line
        }
        self.assertEqual(lines[self.product_seat], 5)
        self.assertEqual(lines[self.product_backup], 1)
        change_order = self.subscription.subscription_change_order_ids
        self.assertEqual(len(change_order), 1)
        self.assertAlmostEqual(change_order.amount_total, preview["amount_total"])
        # Billed now and posted, as the back office's Change wizard does.
        change_invoice = change_order.invoice_ids
        self.assertEqual(change_invoice.state, "posted")
        self.assertEqual(change_invoice.subscription_id, self.subscription)
        self.assertEqual(change_invoice.amount_total, preview["amount_total"])
        messages = self.subscription.message_ids
        self.assertTrue(
            messages.filtered(
                lambda m: "Changed by the customer" in (m.body or "")
                and m.author_id == self.customer
            )
        )
        self.assertTrue(
            self.env["mail.mail"].search(
                [
                    ("model", "=", "sale.order"),
                    ("res_id", "=", self.subscription.id),
                    ("subject", "ilike", "has been changed"),
                ]
            )
        )

    def test_change_only_what_the_template_allows(self):
        self.authenticate("rb_portal_subscriber", "rb_portal_subscriber")
        before = self._snapshot(self.subscription)
        for data in (
            {f"qty_{self.product_setup.id}": "1"},  # not a subscription product
            {f"qty_{self.product_cloud.id}": "0"},  # a base product stays
            {f"qty_{self.product_seat.id}": "2.5"},
            {f"qty_{self.product_seat.id}": "-1"},
            {f"qty_{self.product_seat.id}": "3"},  # nothing changes
        ):
            response = self._post("/change/confirm", data)
            self.assertIn("o_subscription_error", response.text, data)
        self.assertEqual(self._snapshot(self.subscription), before)

    def test_pause_needs_a_pausable_template(self):
        self.authenticate("rb_portal_subscriber", "rb_portal_subscriber")
        self.template_portal.pausable = False
        before = self._snapshot(self.subscription)
        response = self._post("/pause")
        self.assertIn("o_subscription_error", response.text)
        self.assertEqual(self._snapshot(self.subscription), before)
        self.template_portal.pausable = True
        response = self._post("/pause")
        self.assertEqual(self.subscription.subscription_state, "paused")
        self.assertEqual(self.subscription.paused_since, self.today)
        response = self._post("/resume")
        self.assertIn('data-notice="resumed"', response.text)
        self.assertEqual(self.subscription.subscription_state, "active")

    def test_cancel_at_period_end_with_notice_and_confirmation(self):
        self.template_portal.notice_days = 45
        expected_end = self.subscription._get_cancellation_end_date()
        self.assertGreater(expected_end, self.subscription.next_invoice_date)
        self.authenticate("rb_portal_subscriber", "rb_portal_subscriber")
        reason = self.env.ref("recurring_billing.close_reason_too_expensive")
        response = self._post("/cancel", {"reason_id": str(reason.id)})
        self.assertIn("o_subscription_cancel_summary", response.text)
        self.assertEqual(self.subscription.subscription_state, "active")
        response = self._post(
            "/cancel/confirm", {"reason_id": str(reason.id), "comment": "Trop cher"}
        )
        self.assertIn('data-notice="cancelled"', response.text)
        self.assertEqual(self.subscription.subscription_state, "to_close")
        self.assertEqual(self.subscription.subscription_end_date, expected_end)
        self.assertEqual(self.subscription.close_reason_id, reason)
        mail = self.env["mail.mail"].search(
            [
                ("model", "=", "sale.order"),
                ("res_id", "=", self.subscription.id),
                ("subject", "ilike", "cancellation"),
            ]
        )
        self.assertEqual(len(mail), 1)
        self.assertIn(self.customer, mail.recipient_ids)
        self.assertTrue(
            self.subscription.message_ids.filtered(
                lambda m: "Cancelled by the customer" in (m.body or "")
                and "Trop cher" in m.body
            )
        )

    def test_cancel_respects_the_minimum_commitment(self):
        self.template_portal.minimum_commitment_months = 12
        commitment_end = self.subscription._get_commitment_end_date()
        self.assertEqual(
            commitment_end,
            self.start + relativedelta(months=12) - timedelta(days=1),
        )
        # Without the minimum, the current period's end.
        self.assertLess(self.subscription.next_invoice_date, commitment_end)
        self.authenticate("rb_portal_subscriber", "rb_portal_subscriber")
        response = self._post("/cancel")
        self.assertIn("minimum commitment of 12 months", response.text)
        self.assertIn(format_date(self.env, commitment_end), response.text)
        self._post("/cancel/confirm")
        self.assertEqual(self.subscription.subscription_state, "to_close")
        end = self.subscription.subscription_end_date
        self.assertGreaterEqual(end, commitment_end)
        # The end of the period that contains the commitment's last day.
        self.assertLess(
            self.subscription._get_previous_period_start(end + timedelta(days=1)),
            commitment_end + timedelta(days=1),
        )

    def test_cancel_confirmation_sent_even_when_template_turns_it_off(self):
        self.template_portal.close_mail_template_id = False
        self.authenticate("rb_portal_subscriber", "rb_portal_subscriber")
        self._post("/cancel/confirm")
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

    def test_internal_close_reasons_are_not_offered(self):
        self.authenticate("rb_portal_subscriber", "rb_portal_subscriber")
        unpaid = self.env.ref("recurring_billing.close_reason_unpaid")
        response = self.url_open(f"/my/subscriptions/{self.subscription.id}/cancel")
        self.assertNotIn(unpaid.name, response.text)
        self._post("/cancel/confirm", {"reason_id": str(unpaid.id)})
        self.assertEqual(self.subscription.subscription_state, "to_close")
        self.assertFalse(self.subscription.close_reason_id)

    def test_billing_details_validated_as_in_the_back_office(self):
        # Nothing invoiced yet: the VAT number may still change.
        customer, subscription = self._create_new_subscriber(
            "rb_portal_bernard", vat="FR44732829320"
        )
        self.authenticate("rb_portal_bernard", "rb_portal_bernard")
        url = f"/my/subscriptions/{subscription.id}/billing"
        csrf = self._csrf_token(url)

        def post(data):
            return self.url_open(url, data={"csrf_token": csrf, **data})

        response = post({"vat": "FR00000000000", "street": "8 rue Neuve"})
        self.assertIn("o_subscription_error", response.text)
        self.assertIn("FR00000000000 is not a valid VAT number", response.text)
        customer.invalidate_recordset()
        self.assertEqual(customer.vat, "FR44732829320")
        self.assertEqual(customer.street, "5 rue des Livres")
        response = post(
            {
                "vat": "FR23334175221",
                "street": "8 rue Neuve",
                "siret": "12345678900001",
            }
        )
        self.assertIn("o_subscription_error", response.text)
        response = post({"street": "", "city": "Lyon"})
        self.assertIn("o_subscription_error", response.text)
        response = post(
            {
                "vat": "FR23334175221",
                "street": "8 rue Neuve",
                "siret": "33417522100004",
                "zip": "69003",
            }
        )
        self.assertIn('data-notice="billing"', response.text)
        customer.invalidate_recordset()
        self.assertEqual(customer.street, "8 rue Neuve")
        self.assertEqual(customer.zip, "69003")
        self.assertEqual(customer.vat, "FR23334175221")
        self.assertEqual(customer.siret, "33417522100004")
        # The next invoice is addressed with them.
        self.assertEqual(subscription.partner_invoice_id, customer)
