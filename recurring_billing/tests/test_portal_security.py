# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The customer portal's security (issue 24), over HTTP with two customers:
what an access token alone allows (read, pay, ask for the cancellation)
against the customer's login (change, pause, billing details, payment
method); numbers parsed strictly; messages from codes, never from the URL;
billing email and VAT number checked, VAT number and name locked once
invoiced."""

import re
from urllib.parse import parse_qs, urlencode, urlparse

from odoo.exceptions import ValidationError
from odoo.tests import TransactionCase, tagged

from odoo.addons.recurring_billing.tools import parse_record_id, parse_whole_number

from .common_portal import RecurringPortalCommon

# What a form may send where a whole number is expected, and is refused.
NOT_WHOLE_NUMBERS = (
    "nan",
    "NaN",
    "inf",
    "-inf",
    "Infinity",
    "1e400",
    "1e3",
    "-1",
    "+2",
    "abc",
    "2.5",
    "0x10",
    "1_000",
    "99999999999999999999",
    "\u0663",  # ARABIC-INDIC DIGIT THREE: int() takes it, a form should not
    "",
)


@tagged("post_install", "-at_install")
class TestParseWholeNumber(TransactionCase):
    def test_strict_whole_numbers(self):
        self.assertEqual(parse_whole_number("5"), 5)
        self.assertEqual(parse_whole_number(" 12 "), 12)
        # As the change preview's hidden fields send a quantity.
        self.assertEqual(parse_whole_number("5.0"), 5)
        self.assertEqual(parse_whole_number("0"), 0)
        self.assertIsNone(parse_whole_number("0", minimum=1))
        self.assertIsNone(parse_whole_number("10000", maximum=9999))
        for raw in (*NOT_WHOLE_NUMBERS, None, 5, ["5"]):
            self.assertIsNone(parse_whole_number(raw), raw)
        self.assertEqual(parse_record_id("42"), 42)
        for raw in ("0", "-3", "nan", "2147483648", "1e400", "x"):
            self.assertIsNone(parse_record_id(raw), raw)


class PortalSecurityCommon(RecurringPortalCommon):
    """Customer A (``self.customer``, ``rb_portal_subscriber``) and its
    subscription, with its access token; customer B (``rb_portal_other``)."""

    def setUp(self):
        super().setUp()
        self.subscription._portal_ensure_token()
        self.token = self.subscription.access_token
        self.url = f"/my/subscriptions/{self.subscription.id}"

    def _with_token(self, suffix="", **query):
        query["access_token"] = self.token
        return f"{self.url}{suffix}?" + "&".join(f"{k}={v}" for k, v in query.items())

    def _post(self, url, data=None):
        csrf = self._csrf_token("/subscriptions/cancel")
        return self.url_open(url, data={"csrf_token": csrf, **(data or {})})

    def _customer_state(self):
        """A's billing details, which a refused request leaves unchanged."""
        self.customer.invalidate_recordset()
        return (
            self.customer.street,
            self.customer.email,
            self.customer.vat,
            self.customer.name,
            self.customer.country_id,
        )

    def _error_text(self, response):
        match = re.search(
            r'class="alert alert-danger o_subscription_error"[^>]*>(.*?)</div>',
            response.text,
            re.DOTALL,
        )
        return match and match.group(1).strip()

    def _changing_requests(self):
        """Each request that changes the subscription, its billing details
        or its payment method: (method, suffix, data)."""
        return (
            ("POST", "/pause", {}),
            ("POST", "/resume", {}),
            ("GET", "/change", {}),
            ("POST", "/change", {f"qty_{self.product_seat.id}": "10"}),
            ("POST", "/change/confirm", {f"qty_{self.product_seat.id}": "10"}),
            ("GET", "/billing", {}),
            (
                "POST",
                "/billing",
                {
                    "street": "1 rue Volée",
                    "email": "intrus@example.com",
                    "vat": "",
                    "city": "Paris",
                },
            ),
            ("GET", "/payment_method", {}),
        )

    def _send(self, method, url, data):
        if method == "GET":
            return self.url_open(url)
        return self._post(url, data)


@tagged("post_install", "-at_install")
class TestTokenPowers(PortalSecurityCommon):
    def test_token_alone_reads_and_is_sent_to_log_in_to_change(self):
        before = (self._snapshot(self.subscription), self._customer_state())
        page = self.url_open(self._with_token())
        self.assertEqual(page.status_code, 200)
        self.assertIn(self.subscription.name, page.text)
        # It says what the link allows, and where to log in.
        self.assertIn("o_subscription_token_only", page.text)
        self.assertIn("/web/login?redirect=", page.text)
        for invoice in self.subscription.subscription_invoice_ids:
            self.assertIn(invoice.name, page.text)
        for method, suffix, data in self._changing_requests():
            response = self._send(method, self._with_token(suffix), data)
            self.assertEqual(response.status_code, 200, suffix)
            parsed = urlparse(response.url)
            self.assertEqual(parsed.path, "/web/login", suffix)
            # Back to the same page once logged in.
            back = parse_qs(parsed.query)["redirect"][0]
            self.assertTrue(back.startswith(self.url), back)
            self.assertIn(f"access_token={self.token}", back)
        self.assertEqual(
            (self._snapshot(self.subscription), self._customer_state()), before
        )
        self.assertEqual(self.subscription.subscription_state, "active")

    def test_another_customers_login_with_the_token_has_its_powers_only(self):
        before = (self._snapshot(self.subscription), self._customer_state())
        self.authenticate("rb_portal_other", "rb_portal_other")
        page = self.url_open(self._with_token())
        self.assertIn(self.subscription.name, page.text)
        self.assertIn("o_subscription_token_only", page.text)
        for method, suffix, data in self._changing_requests():
            response = self._send(method, self._with_token(suffix), data)
            self.assertEqual(response.status_code, 200, suffix)
            self.assertEqual(urlparse(response.url).path, self.url, suffix)
            self.assertIn("error=customer_login", response.url, suffix)
            self.assertIn(
                "Log in with your customer account", self._error_text(response)
            )
        self.assertEqual(
            (self._snapshot(self.subscription), self._customer_state()), before
        )

    def test_the_customer_logged_in_may_change(self):
        self.authenticate("rb_portal_subscriber", "rb_portal_subscriber")
        page = self.url_open(self.url)
        self.assertNotIn("o_subscription_token_only", page.text)
        # With the token in the URL too: the login decides.
        response = self._post(self._with_token("/pause"))
        self.assertIn('data-notice="paused"', response.text)
        self.assertEqual(self.subscription.subscription_state, "paused")
        response = self._post(f"{self.url}/resume")
        self.assertEqual(self.subscription.subscription_state, "active")
        response = self._post(
            f"{self.url}/billing",
            {"street": "8 rue Neuve", "email": "factures@boulangerie-martin.example"},
        )
        self.assertIn('data-notice="billing"', response.text)
        self.assertEqual(self.customer.street, "8 rue Neuve")
        self.assertEqual(self.customer.email, "factures@boulangerie-martin.example")
        self.assertTrue(
            self.subscription.message_ids.filtered(
                lambda m: "Billing details updated" in (m.body or "")
                and m.author_id == self.customer
            )
        )

    def test_a_contact_of_the_customer_is_the_customer(self):
        contact = self.env["res.partner"].create(
            {
                "name": "Paul Martin",
                "parent_id": self.customer.id,
                "type": "contact",
                "email": "paul@boulangerie-martin.example",
            }
        )
        self._create_role_user("portal", "rb_portal_paul", partner_id=contact.id)
        self.env["res.users"].search(
            [("login", "=", "rb_portal_paul")]
        ).password = "rb_portal_paul"
        self.authenticate("rb_portal_paul", "rb_portal_paul")
        self._post(f"{self.url}/pause")
        self.assertEqual(self.subscription.subscription_state, "paused")
        self.assertTrue(
            self.subscription.message_ids.filtered(
                lambda m: "Paused by the customer" in (m.body or "")
                and m.author_id == contact
            )
        )

    def test_billing_contact_of_another_entity_is_not_the_customers(self):
        """A subscription billed to an accounting firm: its customer's login
        may not change the firm's details."""
        firm = self.env["res.partner"].create(
            {
                "name": "Cabinet Comptable Roux",
                "is_company": True,
                "email": "roux@cabinet.example",
                "street": "1 quai Saint-Antoine",
                "city": "Lyon",
                "country_id": self.env.ref("base.fr").id,
            }
        )
        self.subscription.partner_invoice_id = firm
        self.authenticate("rb_portal_subscriber", "rb_portal_subscriber")
        response = self._post(
            f"{self.url}/billing", {"street": "8 rue Neuve", "city": "Lyon"}
        )
        self.assertIn("belong to another account", self._error_text(response))
        firm.invalidate_recordset()
        self.assertEqual(firm.street, "1 quai Saint-Antoine")


@tagged("post_install", "-at_install")
class TestTokenCancellation(PortalSecurityCommon):
    def _cancel_link(self):
        mail = self.env["mail.mail"].search(
            [("model", "=", "recurring.cancel.request")], order="id desc", limit=1
        )
        return self._link_of(mail)

    def _link_of(self, mail):
        self.assertEqual(mail.email_to, "compta@boulangerie-martin.example")
        match = re.search(
            r'href="[^"]*(/subscriptions/cancel/\d+/[^"]+)"', mail.body_html
        )
        self.assertTrue(match, mail.body_html)
        return match.group(1)

    def test_token_alone_cancels_through_the_customers_mailbox(self):
        reason = self.env.ref("recurring_billing.close_reason_too_expensive")
        page = self.url_open(self._with_token("/cancel"))
        self.assertIn("o_subscription_cancel_reason", page.text)
        summary = self._post(self._with_token("/cancel"), {"reason_id": str(reason.id)})
        self.assertIn("o_subscription_cancel_by_email", summary.text)
        self.assertNotIn("A confirmation is sent to you by email at once", summary.text)
        response = self._post(
            self._with_token("/cancel/confirm"), {"reason_id": str(reason.id)}
        )
        self.assertIn("message=cancel_link", response.url)
        self.assertIn('data-notice="cancel_link"', response.text)
        # Not cancelled: a link went to the customer's address.
        self.assertEqual(self.subscription.subscription_state, "active")
        request = self.env["recurring.cancel.request"].search([])
        self.assertEqual(len(request), 1)
        self.assertEqual(request.subscription_id, self.subscription)
        self.assertEqual(request.email, "compta@boulangerie-martin.example")
        self.assertTrue(
            self.subscription.message_ids.filtered(
                lambda m: "a confirmation link was emailed" in (m.body or "")
            )
        )
        # The customer opens it from their mailbox and confirms.
        link = self._cancel_link()
        csrf = self._csrf_token(link)
        self.url_open(link, data={"csrf_token": csrf})
        self.assertEqual(self.subscription.subscription_state, "to_close")

    def test_another_customers_login_gets_no_link(self):
        self.authenticate("rb_portal_other", "rb_portal_other")
        self._post(self._with_token("/cancel/confirm"))
        self.assertEqual(self.subscription.subscription_state, "active")
        # The link goes to A's address, never to B's.
        self.assertEqual(
            self.env["recurring.cancel.request"].search([]).email,
            "compta@boulangerie-martin.example",
        )
        self._cancel_link()
        self.assertFalse(
            self.env["mail.mail"].search([("email_to", "ilike", "fromagerie-dubois")])
        )

    def test_links_are_limited_with_the_same_answer(self):
        """Beyond 3 links an hour for the contract and the address, no new
        link is queued; the answer is the same and the links sent stay
        valid."""
        for _i in range(4):
            response = self._post(self._with_token("/cancel/confirm"))
            self.assertIn('data-notice="cancel_link"', response.text)
            self.assertFalse(self._error_text(response))
        requests = self.env["recurring.cancel.request"].search([], order="id")
        self.assertEqual(requests.mapped("state"), ["sent", "sent", "sent", "limited"])
        self.assertEqual(
            self.env["mail.mail"].search_count(
                [("model", "=", "recurring.cancel.request")]
            ),
            3,
        )
        self.assertEqual(self.subscription.subscription_state, "active")
        # The first link still cancels.
        first = self.env["mail.mail"].search(
            [("model", "=", "recurring.cancel.request")], order="id", limit=1
        )
        link = self._link_of(first)
        self.url_open(link, data={"csrf_token": self._csrf_token(link)})
        self.assertEqual(self.subscription.subscription_state, "to_close")

    def test_customer_logged_in_cancels_at_once(self):
        self.authenticate("rb_portal_subscriber", "rb_portal_subscriber")
        summary = self._post(f"{self.url}/cancel")
        self.assertNotIn("o_subscription_cancel_by_email", summary.text)
        self.assertIn("A confirmation is sent to you by email at once", summary.text)
        response = self._post(f"{self.url}/cancel/confirm")
        self.assertIn('data-notice="cancelled"', response.text)
        self.assertEqual(self.subscription.subscription_state, "to_close")
        self.assertFalse(self.env["recurring.cancel.request"].search([]))


@tagged("post_install", "-at_install")
class TestPortalNumbers(PortalSecurityCommon):
    def test_quantities_that_are_no_whole_numbers_are_refused(self):
        before = self._snapshot(self.subscription)
        self.authenticate("rb_portal_subscriber", "rb_portal_subscriber")
        for raw in NOT_WHOLE_NUMBERS:
            if not raw:
                continue
            for suffix in ("/change", "/change/confirm"):
                response = self._post(
                    f"{self.url}{suffix}", {f"qty_{self.product_seat.id}": raw}
                )
                self.assertEqual(response.status_code, 200, (raw, suffix))
                self.assertIn(
                    "The quantity of User seat must be a whole number from 1 to 9999.",
                    self._error_text(response),
                    (raw, suffix),
                )
                self.assertNotIn("o_subscription_change_preview", response.text)
        self.assertEqual(self._snapshot(self.subscription), before)
        # The same whole number with a decimal point, as the preview sends it.
        response = self._post(
            f"{self.url}/change/confirm", {f"qty_{self.product_seat.id}": "4.0"}
        )
        self.assertIn('data-notice="changed"', response.text)

    def test_the_subscriptions_own_check_refuses_non_finite_quantities(self):
        """Whoever calls it, not only the portal's parser."""
        for quantity in (float("nan"), float("inf"), float("-inf"), 2.5, -1.0):
            with self.assertRaisesRegex(ValidationError, "whole number"):
                self.subscription._portal_check_quantities(
                    {self.product_seat: quantity}
                )

    def test_ids_that_are_no_numbers(self):
        before = self._customer_state()
        self.authenticate("rb_portal_subscriber", "rb_portal_subscriber")
        for raw in ("nan", "1e400", "-1", "99999999999999999999", "\u0663"):
            response = self._post(
                f"{self.url}/billing",
                {"street": "8 rue Neuve", "city": "Lyon", "country_id": raw},
            )
            self.assertEqual(response.status_code, 200, raw)
            self.assertIn("Choose a country from the list.", self._error_text(response))
            response = self._post(f"{self.url}/cancel", {"reason_id": raw})
            self.assertEqual(response.status_code, 200, raw)
            self.assertIn("o_subscription_cancel_summary", response.text)
        self.assertEqual(self._customer_state(), before)


@tagged("post_install", "-at_install")
class TestPortalMessages(PortalSecurityCommon):
    FORGED = (
        "Your account is suspended: pay at https://evil.example",
        "<b>Urgent</b>",
        "Ihr Konto wurde gesperrt",
    )

    def test_error_and_message_codes_only(self):
        self.authenticate("rb_portal_subscriber", "rb_portal_subscriber")
        for text in self.FORGED:
            for param in ("error", "message", "error_message", "warning", "success"):
                response = self.url_open(f"{self.url}?{urlencode({param: text})}")
                self.assertEqual(response.status_code, 200)
                self.assertNotIn("evil.example", response.text)
                self.assertNotIn("Urgent", response.text)
                self.assertNotIn("gesperrt", response.text)
                self.assertNotIn("o_subscription_error", response.text)
                self.assertNotIn("o_subscription_notice", response.text)
        for suffix in ("/change", "/billing", "/cancel", "/payment_method"):
            response = self.url_open(
                f"{self.url}{suffix}?{urlencode({'error': self.FORGED[0]})}"
            )
            self.assertNotIn("evil.example", response.text, suffix)
        # A known code shows its translated text.
        response = self.url_open(f"{self.url}?error=cannot_change")
        self.assertEqual(
            self._error_text(response), "This subscription cannot be changed now."
        )

    def test_token_visitor_sees_no_forged_text_either(self):
        response = self.url_open(
            self._with_token() + "&" + urlencode({"error": self.FORGED[0]})
        )
        self.assertIn(self.subscription.name, response.text)
        self.assertNotIn("evil.example", response.text)
        self.assertNotIn("o_subscription_error", response.text)


@tagged("post_install", "-at_install")
class TestPortalBillingChecks(PortalSecurityCommon):
    def _billing(self, subscription, data):
        return self._post(f"/my/subscriptions/{subscription.id}/billing", data)

    def test_email_must_be_an_email(self):
        before = self._customer_state()
        self.authenticate("rb_portal_subscriber", "rb_portal_subscriber")
        for email in ("not-an-email", "a@b", "x@@y.example", "a b@c.example", ""):
            response = self._billing(
                self.subscription, {"email": email, "street": "8 rue Neuve"}
            )
            self.assertIn("o_subscription_error", response.text, email)
            self.assertNotIn('data-notice="billing"', response.text)
        self.assertIn(
            "not-an-email is not a valid email address.",
            self._error_text(
                self._billing(self.subscription, {"email": "not-an-email"})
            ),
        )
        self.assertEqual(self._customer_state(), before)

    def test_vat_number_of_another_country_is_refused_with_the_reason(self):
        customer, subscription = self._create_new_subscriber("rb_portal_bernard")
        self.authenticate("rb_portal_bernard", "rb_portal_bernard")
        france = str(self.env.ref("base.fr").id)
        germany = self.env.ref("base.de")
        response = self._billing(
            subscription, {"vat": "DE123456788", "country_id": france}
        )
        self.assertEqual(
            self._error_text(response),
            "DE123456788 is a VAT number of Germany, but your billing address is "
            "in France: give the VAT number of your business in France, or its "
            "address in Germany.",
        )
        customer.invalidate_recordset()
        self.assertFalse(customer.vat)
        # Without its prefix, a number is read as the billing country's.
        response = self._billing(
            subscription, {"vat": "23 334 175 221", "country_id": france}
        )
        self.assertIn('data-notice="billing"', response.text)
        customer.invalidate_recordset()
        self.assertEqual(customer.vat, "FR23334175221")
        # The country cannot move away from the VAT number's either.
        response = self._billing(subscription, {"country_id": str(germany.id)})
        self.assertIn("is a VAT number of France", self._error_text(response))
        customer.invalidate_recordset()
        self.assertEqual(customer.country_id, self.env.ref("base.fr"))
        # A German number with a German address is fine.
        response = self._billing(
            subscription, {"vat": "DE123456788", "country_id": str(germany.id)}
        )
        self.assertIn('data-notice="billing"', response.text)
        customer.invalidate_recordset()
        self.assertEqual((customer.vat, customer.country_id), ("DE123456788", germany))

    def test_vat_number_and_name_locked_once_invoiced(self):
        self.customer.is_company = True
        self.assertTrue(self.subscription.subscription_invoice_ids)
        before = self._customer_state()
        self.authenticate("rb_portal_subscriber", "rb_portal_subscriber")
        page = self.url_open(f"{self.url}/billing")
        self.assertIn("o_subscription_identity_locked", page.text)
        self.assertRegex(page.text, r'name="vat"[^>]*readonly="readonly"')
        response = self._billing(self.subscription, {"vat": "FR23334175221"})
        self.assertIn(
            "Your VAT number cannot be changed once invoices have been issued",
            self._error_text(response),
        )
        response = self._billing(
            self.subscription, {"company_name": "Boulangerie Durand"}
        )
        self.assertIn(
            "Your company name cannot be changed once invoices have been issued",
            self._error_text(response),
        )
        self.assertEqual(self._customer_state(), before)
        # The same VAT number and name, as the form sends them back, pass.
        response = self._billing(
            self.subscription,
            {
                "vat": "FR 447 328 293 20",
                "company_name": self.customer.name,
                "street": "8 rue Neuve",
            },
        )
        self.assertIn('data-notice="billing"', response.text)
        self.customer.invalidate_recordset()
        self.assertEqual(self.customer.street, "8 rue Neuve")
        self.assertEqual(self.customer.vat, "FR44732829320")
        # Before any invoice, both may change.
        customer, subscription = self._create_new_subscriber(
            "rb_portal_bernard", is_company=True, vat="FR44732829320"
        )
        self.authenticate("rb_portal_bernard", "rb_portal_bernard")
        response = self._billing(
            subscription,
            {"vat": "FR23334175221", "company_name": "Librairie Bernard et Fils"},
        )
        self.assertIn('data-notice="billing"', response.text)
        customer.invalidate_recordset()
        self.assertEqual(
            (customer.vat, customer.name),
            ("FR23334175221", "Librairie Bernard et Fils"),
        )

    def test_no_message_names_a_model_or_a_user(self):
        """Each refusal speaks of the customer's data, in words, never of
        records, models or user ids."""
        self.customer.is_company = True
        before = self._customer_state()
        self.authenticate("rb_portal_subscriber", "rb_portal_subscriber")
        for data in (
            {"vat": "FR00000000000"},
            {"vat": "DE123456788"},
            {"email": "not-an-email"},
            {"country_id": "nan"},
            {"street": ""},
            {"siret": "12345678900001"},
            {"company_name": "Boulangerie Durand"},
        ):
            error = self._error_text(self._billing(self.subscription, data))
            self.assertTrue(error, data)
            for word in ("res.", "uid", "model", "Document", "partner ["):
                self.assertNotIn(word, error, data)
        self.assertEqual(self._customer_state(), before)
