# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The payment method of a subscription on the customer portal: Odoo's
payment form in validation mode, whose new token becomes this subscription's
payment method, and who may do it."""

import re
from datetime import date

from odoo.tests import tagged
from odoo.tests.common import JsonRpcException

from .common_portal import RecurringPortalCommon
from .payment_common import RecurringPaymentCommon


@tagged("post_install", "-at_install")
class TestValidationReplacesToken(RecurringPaymentCommon):
    """A validation transaction started from a subscription's page replaces
    that subscription's token only; one started elsewhere replaces the
    outdated tokens of all the customer's subscriptions, as before."""

    def _validation(self, token, subscription=None):
        tx = self.env["payment.transaction"].create(
            {
                "provider_id": self.provider.id,
                "payment_method_id": self.method_card.id,
                "reference": f"V-{token.id}",
                "amount": 0.0,
                "currency_id": self.company.currency_id.id,
                "partner_id": self.customer.id,
                "operation": "validation",
                "token_id": token.id,
                "recurring_subscription_id": subscription and subscription.id,
            }
        )
        tx._set_done()
        tx._post_process()
        return tx

    def test_validation_from_a_subscription_replaces_its_token_only(self):
        old = self._create_token(expiry_date=date(2026, 6, 30))
        first = self._create_charged_subscription(token=old)
        second = self._create_charged_subscription(token=old)
        new = self._create_token(payment_details="1881", expiry_date=date(2029, 1, 31))
        tx = self._validation(new, first)
        self.assertFalse(tx.sale_order_ids)
        self.assertEqual(first.payment_token_id, new)
        # The other subscription's card expires before the new one: a
        # validation from the portal's page of the first does not touch it.
        self.assertEqual(second.payment_token_id, old)
        message = first.message_ids.filtered(
            lambda m: "Payment method replaced by the customer" in (m.body or "")
        )
        self.assertEqual(len(message), 1)
        self.assertIn("1881", message.body)
        self.assertEqual(message.author_id, self.customer)
        self.assertTrue(
            self.env["mail.mail"].search(
                [
                    ("model", "=", "sale.order"),
                    ("res_id", "=", first.id),
                    ("subject", "ilike", "payment method"),
                ]
            )
        )
        # Saved from /my/payment_method: every outdated one, as before.
        newer = self._create_token(
            payment_details="1999", expiry_date=date(2030, 1, 31)
        )
        self._validation(newer)
        self.assertEqual(second.payment_token_id, newer)

    def test_closed_subscription_or_other_customer_keeps_its_token(self):
        closed = self._create_charged_subscription()
        closed._subscription_close(date(2026, 1, 5))
        new = self._create_token(payment_details="1881")
        self._validation(new, closed)
        self.assertEqual(closed.payment_token_id, self.token)
        other = self.env["res.partner"].create({"name": "Fromagerie Dubois"})
        foreign = self._create_token(partner=other, payment_details="7777")
        running = self._create_charged_subscription()
        self._validation(foreign, running)
        self.assertEqual(running.payment_token_id, self.token)


@tagged("post_install", "-at_install")
class TestPortalPaymentMethod(RecurringPortalCommon):
    """Over HTTP, with Odoo's demo provider (``payment_demo``)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.provider = cls._prepare_demo_provider()
        if cls.provider:
            cls.old_token = cls._create_demo_token(
                cls.provider, "1111", expiry_date=date(2027, 3, 31)
            )
            cls.subscription.payment_token_id = cls.old_token

    def setUp(self):
        super().setUp()
        if not self.provider:
            self.skipTest("payment_demo is not installed")
        self.url = f"/my/subscriptions/{self.subscription.id}"

    def _form_values(self, url):
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        self.assertIn("o_payment_form", response.text)
        return {
            key: re.search(f'data-{key}="([^"]*)"', response.text).group(1)
            for key in ("transaction-route", "assign-token-route", "access-token")
        }

    def _transaction_params(self, access_token):
        return {
            "provider_id": self.provider.id,
            "payment_method_id": self.provider.payment_method_ids[:1].id,
            "token_id": None,
            "amount": None,
            "flow": "direct",
            "tokenization_requested": True,
            "landing_route": "https://attacker.example/",
            "is_validation": True,
            "access_token": access_token,
        }

    def _validation_count(self):
        return self.env["payment.transaction"].search_count(
            [("operation", "=", "validation")]
        )

    def test_page_shows_the_method_and_replaces_it_through_odoos_form(self):
        self.authenticate("rb_portal_subscriber", "rb_portal_subscriber")
        page = self.url_open(self.url).text
        self.assertIn("o_subscription_token_digits", page)
        self.assertIn("1111", page)
        self.assertIn("03/2027", page)
        self.assertIn(f"{self.url}/payment_method", page)
        form = self._form_values(f"{self.url}/payment_method")
        self.assertEqual(
            form["transaction-route"], f"{self.url}/payment_method/transaction"
        )
        values = self.make_jsonrpc_request(
            form["transaction-route"], self._transaction_params(form["access-token"])
        )
        tx = self.env["payment.transaction"].search(
            [("reference", "=", values["reference"])]
        )
        self.assertEqual(tx.operation, "validation")
        self.assertEqual(tx.recurring_subscription_id, self.subscription)
        self.assertFalse(tx.sale_order_ids)
        self.assertEqual(tx.partner_id, self.customer)
        self.assertTrue(tx.tokenize)
        self.assertEqual(tx.landing_route, f"{self.url}?message=payment_method")
        # What the demo form sends, then the payment status page's polling.
        self.make_jsonrpc_request(
            "/payment/demo/simulate_payment",
            {
                "reference": tx.reference,
                "payment_details": "4242",
                "simulated_state": "done",
            },
        )
        status = self.make_jsonrpc_request("/payment/status/poll")
        self.assertEqual(status["state"], "done")
        self.assertEqual(status["landing_route"], tx.landing_route)
        new_token = tx.token_id
        self.assertEqual(new_token.payment_details, "4242")
        self.assertEqual(self.subscription.payment_token_id, new_token)
        self.assertTrue(self.old_token.active)
        self.assertTrue(
            self.subscription.message_ids.filtered(
                lambda m: "Payment method replaced by the customer" in (m.body or "")
                and "1111" in m.body
                and "4242" in m.body
            )
        )
        page = self.url_open(tx.landing_route).text
        self.assertIn('data-notice="payment_method"', page)
        self.assertIn("•••• 4242", page)

    def test_chatter_keeps_the_access_token_beside_the_payment_method(self):
        """The payment method section must not hide the access token the
        portal chatter reads: without it a visitor's chatter fails."""
        self.subscription._portal_ensure_token()
        access_token = self.subscription.access_token
        page = self.url_open(f"{self.url}?access_token={access_token}").text
        self.assertIn("1111", page)
        discussion = re.search(r'<div id="discussion"[^>]*>', page).group(0)
        self.assertIn(f'data-token="{access_token}"', discussion)

    def test_choose_another_saved_method(self):
        other_card = self._create_demo_token(self.provider, "5555")
        foreign = self._create_demo_token(
            self.provider, "7777", partner=self.other_customer
        )
        self.authenticate("rb_portal_subscriber", "rb_portal_subscriber")
        form = self._form_values(f"{self.url}/payment_method")
        page = self.url_open(f"{self.url}/payment_method").text
        self.assertIn("5555", page)
        self.assertNotIn("7777", page)
        with self.assertRaises(JsonRpcException):
            self.make_jsonrpc_request(
                form["assign-token-route"],
                {"token_id": foreign.id, "access_token": form["access-token"]},
            )
        self.assertEqual(self.subscription.payment_token_id, self.old_token)
        self.make_jsonrpc_request(
            form["assign-token-route"],
            {"token_id": other_card.id, "access_token": form["access-token"]},
        )
        self.assertEqual(self.subscription.payment_token_id, other_card)

    def test_another_customer_or_wrong_token_is_refused(self):
        before = self._snapshot(self.subscription)
        self.subscription._portal_ensure_token()
        params = self._transaction_params("wrong-token")
        # Another customer: no page, no transaction, no assignment.
        self.authenticate("rb_portal_other", "rb_portal_other")
        response = self.url_open(f"{self.url}/payment_method")
        self.assertTrue(response.url.endswith("/my"), response.url)
        for access_token in (None, "wrong-token"):
            with self.assertRaises(JsonRpcException):
                self.make_jsonrpc_request(
                    f"{self.url}/payment_method/transaction",
                    dict(params, access_token=access_token),
                )
        with self.assertRaises(JsonRpcException):
            self.make_jsonrpc_request(
                f"{self.url}/payment_method/assign",
                {"token_id": self.old_token.id, "access_token": "wrong-token"},
            )
        # Logged out, a wrong token: refused; the subscription's: allowed.
        self.logout()
        response = self.url_open(f"{self.url}/payment_method?access_token=wrong-token")
        self.assertNotIn("o_payment_form", response.text)
        with self.assertRaises(JsonRpcException):
            self.make_jsonrpc_request(f"{self.url}/payment_method/transaction", params)
        self.assertEqual(self._validation_count(), 0)
        self.assertEqual(self._snapshot(self.subscription), before)
        self.assertEqual(self.subscription.payment_token_id, self.old_token)
        # The subscription's own access token is no login: replacing the
        # payment method needs the customer's (issue 24).
        access_token = self.subscription.access_token
        other_card = self._create_demo_token(self.provider, "5555")
        public_url = f"{self.url}/payment_method?access_token={access_token}"
        response = self.url_open(public_url)
        self.assertIn("/web/login", response.url)
        self.assertNotIn("o_payment_form", response.text)
        with self.assertRaises(JsonRpcException):
            self.make_jsonrpc_request(
                f"{self.url}/payment_method/assign",
                {"token_id": other_card.id, "access_token": access_token},
            )
        with self.assertRaises(JsonRpcException):
            self.make_jsonrpc_request(
                f"{self.url}/payment_method/transaction",
                self._transaction_params(access_token),
            )
        # Another customer's login with this token: the same.
        self.authenticate("rb_portal_other", "rb_portal_other")
        response = self.url_open(public_url)
        self.assertNotIn("o_payment_form", response.text)
        self.assertIn("error=customer_login", response.url)
        self.assertIn("Log in with your customer account", response.text)
        with self.assertRaises(JsonRpcException):
            self.make_jsonrpc_request(
                f"{self.url}/payment_method/transaction",
                self._transaction_params(access_token),
            )
        with self.assertRaises(JsonRpcException):
            self.make_jsonrpc_request(
                f"{self.url}/payment_method/assign",
                {"token_id": other_card.id, "access_token": access_token},
            )
        self.assertEqual(self._validation_count(), 0)
        self.assertEqual(self.subscription.payment_token_id, self.old_token)

    def test_closed_subscription_and_foreign_provider_are_refused(self):
        self.authenticate("rb_portal_subscriber", "rb_portal_subscriber")
        form = self._form_values(f"{self.url}/payment_method")
        # A provider of another company, even if its id is forged.
        company_b = self.setup_other_company(name="Nuage Belgique")["company"]
        foreign_provider = self.provider.copy({"company_id": company_b.id})
        foreign_provider.state = "test"
        with self.assertRaises(JsonRpcException):
            self.make_jsonrpc_request(
                form["transaction-route"],
                dict(
                    self._transaction_params(form["access-token"]),
                    provider_id=foreign_provider.id,
                ),
            )
        self.subscription._subscription_close(self.today)
        response = self.url_open(f"{self.url}/payment_method")
        self.assertIn("o_subscription_error", response.text)
        self.assertNotIn("o_payment_form", response.text)
        with self.assertRaises(JsonRpcException):
            self.make_jsonrpc_request(
                form["transaction-route"],
                self._transaction_params(form["access-token"]),
            )
        self.assertEqual(self._validation_count(), 0)
        self.assertNotIn(
            "o_subscription_payment_method_update", self.url_open(self.url).text
        )

    def test_open_invoice_is_paid_on_odoos_invoice_page(self):
        """On-session payment (a card that asks for 3-D Secure is paid by
        its customer there): the subscription page links to Odoo's invoice
        page, whose payment form pays it."""
        invoice = self.subscription.subscription_invoice_ids.sorted("id")[-1]
        self.assertEqual(invoice.payment_state, "not_paid")
        self.authenticate("rb_portal_subscriber", "rb_portal_subscriber")
        page = self.url_open(self.url).text
        pay_link = re.search(
            r'class="btn btn-sm btn-primary o_subscription_pay"\s+href="([^"]+)"',
            page,
        )
        self.assertTrue(pay_link)
        invoice_page = self.url_open(pay_link.group(1).replace("&amp;", "&"))
        self.assertEqual(invoice_page.status_code, 200)
        self.assertIn(f"/invoice/transaction/{invoice.id}", invoice_page.text)
        access_token = re.search(
            r'data-access-token="([^"]*)"', invoice_page.text
        ).group(1)
        values = self.make_jsonrpc_request(
            f"/invoice/transaction/{invoice.id}",
            dict(
                self._transaction_params(access_token),
                amount=invoice.amount_residual,
                landing_route=invoice.get_portal_url(),
                is_validation=False,
            ),
        )
        self.make_jsonrpc_request(
            "/payment/demo/simulate_payment",
            {
                "reference": values["reference"],
                "payment_details": "4000",
                "simulated_state": "done",
            },
        )
        self.make_jsonrpc_request("/payment/status/poll")
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        # The card saved while paying the subscription's invoice pays it next.
        self.assertEqual(self.subscription.payment_token_id.payment_details, "4000")
