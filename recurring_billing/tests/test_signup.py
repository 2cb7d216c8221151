# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Subscribing online: what the server refuses, and what it creates once."""

import re
from datetime import timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.tests import new_test_user, tagged

from ..models.recurring_signup import RATE_LIMIT_PER_IP
from .common_signup import RecurringSignupCommon

# A 1x1 transparent PNG, as the portal's signature pad sends it.
SIGNATURE = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8"
    "AAAAASUVORK5CYII="
)


@tagged("post_install", "-at_install")
class TestSignup(RecurringSignupCommon):
    def test_forged_prices_are_ignored(self):
        """Prices, amounts and quantities out of range sent by the browser
        are never read: the signup and its transaction carry the server's
        price (1 x 30.00 + 3 x 12.00 + 2 x 5.00 = 76.00, 91.20 with VAT)."""
        response = self._post_subscribe(
            **{
                f"qty_{self.product_backup.id}": "2",
                "price_unit": "0.01",
                "amount_total": "1",
                f"price_{self.product_cloud.id}": "0",
            }
        )
        signup, token = self._signup_from(response)
        self.assertEqual(signup.amount_untaxed, 76.0)
        self.assertEqual(signup.amount_total, 91.2)
        self.assertIn("91.20", response.text)
        tx = self._pay(signup, token, amount=1.0)
        self.assertEqual(tx.amount, 91.2)
        self.assertEqual(
            (tx.partner_name, tx.partner_email, tx.partner_city),
            ("Atelier Morel", "julie@atelier-morel.example", "Strasbourg"),
        )
        self.assertEqual(tx.currency_id, self.company.currency_id)
        order = signup.order_id
        self.assertEqual(order.amount_total, 91.2)
        self.assertEqual(
            {line.product_id: line.product_uom_qty for line in order.order_line},
            {self.product_cloud: 1, self.product_seat: 3, self.product_backup: 2},
        )
        invoice = order.subscription_invoice_ids
        self.assertEqual(invoice.amount_total, 91.2)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(tx.invoice_ids, invoice)
        # A quantity out of range is refused, nothing recorded.
        before = self.env["recurring.signup"].search_count([])
        response = self._post_subscribe(**{f"qty_{self.product_seat.id}": "-4"})
        self.assertIn("Choose a quantity between 1 and 999", response.text)
        self.assertEqual(self.env["recurring.signup"].search_count([]), before)

    def test_company_paid_then_replayed_return(self):
        """The payment creates the company, its contact, a portal account
        and the subscription, with the saved card, its first invoice paid,
        the consent recorded; replaying the return creates nothing more."""
        counts = self._counts()
        signup, token = self._signup_from(self._post_subscribe())
        self.assertEqual(self._counts(), counts)
        self.assertEqual(signup.state, "draft")
        tx = self._pay(signup, token)
        self.assertEqual(tx.state, "done")
        self.assertEqual(signup.state, "done")
        order = signup.order_id
        commercial = order.partner_id.commercial_partner_id
        self.assertEqual(
            (commercial.name, commercial.siret, commercial.vat, commercial.is_company),
            ("Atelier Morel", "73282932000017", "FR44732829320", True),
        )
        self.assertEqual(order.partner_id.email, "julie@atelier-morel.example")
        self.assertEqual(signup.user_id.login, "julie@atelier-morel.example")
        self.assertTrue(signup.user_id._is_portal())
        self.assertEqual(order.subscription_state, "active")
        self.assertFalse(order.user_id, "no salesperson, not the public user")
        self.assertEqual(order.payment_token_id, tx.token_id)
        self.assertEqual(tx.token_id.partner_id, order.partner_id)
        self.assertEqual(tx.partner_id, order.partner_id)
        self.assertFalse(order.withdrawal_deadline, "a company has no withdrawal")
        self.assertEqual(signup.terms_version, "2026-01")
        self.assertTrue(signup.terms_accepted_date)
        invoice = order.subscription_invoice_ids
        self.assertEqual(invoice.amount_total, 79.2)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(tx.payment_id.amount, 79.2)
        subjects = (
            self.env["mail.mail"]
            .search([("model", "=", "sale.order"), ("res_id", "=", order.id)])
            .mapped("subject")
        )
        self.assertTrue(any("welcome" in subject for subject in subjects), subjects)
        self.assertTrue(any("its terms" in subject for subject in subjects), subjects)
        counts_done = self._counts()
        # The return page, the status poll and the post-processing replayed.
        for _replay in range(2):
            page = self.url_open(
                f"/subscribe/pay/{signup.id}/done?access_token={token}"
            )
            self.assertIn(order.name, page.text)
            self.make_jsonrpc_request("/payment/status/poll")
        tx.is_post_processed = False
        tx._post_process()
        self.assertFalse(signup._complete(tx))
        self.assertEqual(self._counts(), counts_done)
        self.assertEqual(len(order.subscription_invoice_ids), 1)
        self.assertEqual(self.env["recurring.signup"].search_count([]), 1)
        # The payment page of a signup done leads to its confirmation.
        page = self.url_open(f"/subscribe/pay/{signup.id}?access_token={token}")
        self.assertIn(order.name, page.text)
        # Another access token shows nothing.
        page = self.url_open(f"/subscribe/pay/{signup.id}?access_token=forged")
        self.assertEqual(page.status_code, 404)

    def test_declined_card_creates_nothing(self):
        counts = self._counts()
        signup, token = self._signup_from(self._post_subscribe())
        tx = self._pay(signup, token, state="error")
        self.assertEqual(tx.state, "error")
        self.assertEqual(signup.state, "draft")
        self.assertFalse(signup.order_id)
        self.assertEqual(self._counts(), counts)
        page = self.url_open(f"/subscribe/pay/{signup.id}/done?access_token={token}")
        self.assertIn("nothing was created", page.text)
        # Left unpaid, its details are deleted after 30 days; a paid one is
        # kept, the proof of the consent.
        Signup = self.env["recurring.signup"]
        abandoned, _token = self._signup_from(self._post_subscribe())
        self.env.cr.execute(
            "UPDATE recurring_signup SET create_date = now() - interval '31 days' "
            "WHERE id = %s",
            [abandoned.id],
        )
        Signup._gc_abandoned_signups()
        self.assertFalse(abandoned.exists())
        self.assertTrue(signup.exists())
        # Another card then goes through.
        self._pay(signup, token)
        self.assertEqual(signup.state, "done")
        self.assertEqual(self._counts()["orders"], counts["orders"] + 1)

    def test_pending_payment_keeps_the_method_unusable(self):
        """A payment still pending (a SEPA debit) creates nothing, its saved
        method archived: no method of Odoo's public partner can be used;
        the bank's confirmation then creates the subscription with it."""
        counts = self._counts()
        signup, token = self._signup_from(self._post_subscribe())
        tx = self._pay(signup, token, state="pending")
        self.assertEqual(tx.state, "pending")
        self.assertFalse(tx.token_id.active)
        self.assertEqual(signup.state, "draft")
        self.assertEqual(self._counts(), counts)
        tx._handle_notification_data(
            "demo", {"reference": tx.reference, "simulated_state": "done"}
        )
        tx._post_process()
        self.assertEqual(signup.state, "done")
        self.assertTrue(tx.token_id.active)
        self.assertEqual(signup.order_id.payment_token_id, tx.token_id)
        self.assertEqual(tx.token_id.partner_id, signup.order_id.partner_id)

    def test_existing_email_asks_to_log_in(self):
        new_test_user(
            self.env,
            "julie@atelier-morel.example",
            email="julie@atelier-morel.example",
            groups="base.group_portal",
        )
        counts = self._counts()
        response = self._post_subscribe(email="Julie@Atelier-Morel.example")
        self.assertIn("An account already exists with this email", response.text)
        self.assertIn("/web/login?redirect=", response.text)
        self.assertEqual(self._counts(), counts)
        self.assertFalse(self.env["recurring.signup"].search_count([]))

    def test_known_email_without_account_is_not_duplicated(self):
        """An email known as a customer's, without an account: that customer
        subscribes (no second partner), and gets a portal account."""
        self.customer.email = "julie@atelier-morel.example"
        counts = self._counts()
        signup, token = self._signup_from(self._post_subscribe())
        self._pay(signup, token)
        self.assertEqual(signup.order_id.partner_id, self.customer)
        self.assertEqual(self._counts()["partners"], counts["partners"])
        self.assertEqual(signup.user_id.partner_id, self.customer)
        self.assertEqual(self.customer.name, "Boulangerie Martin")

    def test_logged_in_customer_subscribes_with_their_account(self):
        counts = self._counts()
        user = new_test_user(
            self.env,
            "rb_signup_portal",
            password="rb_signup_portal",
            groups="base.group_portal",
            partner_id=self.customer.id,
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        counts = self._counts()
        self.authenticate("rb_signup_portal", "rb_signup_portal")
        signup, token = self._signup_from(
            self._post_subscribe(email="compta@boulangerie-martin.example")
        )
        self._pay(signup, token)
        self.assertEqual(signup.order_id.partner_id, self.customer)
        self.assertEqual(signup.user_id, user)
        self.assertEqual(self._counts()["partners"], counts["partners"])
        self.assertEqual(self._counts()["users"], counts["users"])

    def test_invalid_details_and_rate_limit(self):
        cases = {
            "siret": ("12345678901234", "is not a valid SIRET"),
            "vat": ("FR00000000000", "is not a valid VAT number"),
            "email": ("julie@", "is not a valid email address"),
            "accept_terms": ("", "Accept the terms and conditions"),
        }
        for field, (value, message) in cases.items():
            response = self._post_subscribe(**{field: value})
            self.assertIn(message, response.text, field)
        # A consumer must ask for the service to start during the withdrawal
        # period.
        response = self._post_subscribe(customer_type="person")
        self.assertIn("Ask for your subscription to start now", response.text)
        self.assertFalse(self.env["recurring.signup"].search_count([]))
        for _signup in range(RATE_LIMIT_PER_IP):
            self._signup_from(self._post_subscribe())
        response = self._post_subscribe()
        self.assertIn("Too many subscriptions were started", response.text)
        self.assertEqual(
            self.env["recurring.signup"].search_count([]), RATE_LIMIT_PER_IP
        )

    def test_consumer_withdraws_within_14_days(self):
        """A consumer who asked to start at once withdraws from the portal
        the day they subscribed: the subscription ends that day and the rest
        of the month paid is credited, by day (L221-25)."""
        signup, token = self._signup_from(
            self._post_subscribe(
                customer_type="person", company_name="", siret="", vat="", start_now="1"
            )
        )
        self._pay(signup, token)
        order = signup.order_id
        today = self.company._get_today()
        self.assertEqual(order.withdrawal_deadline, today + timedelta(days=14))
        self.assertTrue(signup.start_request_date)
        self.assertFalse(order.partner_id.is_company)
        invoice = order.subscription_invoice_ids
        self.assertEqual(invoice.amount_total, 79.2)
        # The confirmation on a durable medium: the terms accepted, the
        # withdrawal period and the model withdrawal form.
        confirmation = self.env["mail.mail"].search(
            [
                ("model", "=", "sale.order"),
                ("res_id", "=", order.id),
                ("subject", "ilike", "its terms"),
            ]
        )
        self.assertEqual(len(confirmation), 1)
        for text in (
            "Conditions générales de service",
            "version 2026-01",
            "Withdrawal form",
            "I hereby give notice that I withdraw",
            order.name,
        ):
            self.assertIn(text, confirmation.body_html)
        period_days = (order.next_invoice_date - today).days
        user = signup.user_id
        user.password = "rb_signup_consumer"
        self.authenticate(user.login, "rb_signup_consumer")
        csrf = self._csrf_token(f"/my/subscriptions/{order.id}")
        response = self.url_open(
            f"/my/subscriptions/{order.id}/withdraw", data={"csrf_token": csrf}
        )
        self.assertIn("You have withdrawn", response.text)
        self.assertEqual(order.subscription_state, "closed")
        self.assertEqual(order.subscription_end_date, today)
        self.assertEqual(order.withdrawal_date, today)
        credit = self.env["account.move"].search(
            [("move_type", "=", "out_refund"), ("partner_id", "=", order.partner_id.id)]
        )
        # Each line's unused days, rounded, and its 20 % VAT, rounded.
        unused = [
            round(price * (period_days - 1) / period_days, 2) for price in (30, 36)
        ]
        self.assertEqual(credit.amount_untaxed, round(sum(unused), 2))
        self.assertEqual(
            credit.amount_total,
            round(sum(amount + round(amount * 0.2, 2) for amount in unused), 2),
        )
        self.assertFalse(order.can_withdraw)
        response = self.url_open(
            f"/my/subscriptions/{order.id}/withdraw", data={"csrf_token": csrf}
        )
        self.assertIn("withdrawal period of subscription", response.text)

    def test_trial_saves_the_method_without_charging(self):
        counts = self._counts()
        signup, token = self._signup_from(
            self._post_subscribe(
                slug="cloud-trial",
                customer_type="person",
                company_name="",
                siret="",
                vat="",
                start_now="1",
            )
        )
        self.assertTrue(signup.is_trial)
        tx = self._pay(signup, token)
        self.assertEqual(tx.operation, "validation")
        order = signup.order_id
        today = self.company._get_today()
        self.assertEqual(order.subscription_state, "trial")
        self.assertEqual(order.trial_end_date, today + timedelta(days=14))
        self.assertEqual(order.next_invoice_date, today + timedelta(days=14))
        self.assertEqual(order.payment_token_id, tx.token_id)
        self.assertFalse(order.subscription_invoice_ids)
        self.assertFalse(tx.payment_id)
        self.assertEqual(self._counts()["invoices"], counts["invoices"])
        # Withdrawing during the trial ends it: nothing was billed, nothing
        # is credited.
        order._portal_withdraw(order.partner_id)
        self.assertEqual(order.subscription_state, "closed")
        self.assertEqual(order.withdrawal_date, today)
        self.assertEqual(self._counts()["invoices"], counts["invoices"])

    def _pay_quotation(self, template):
        """A salesman's subscription quotation on ``template`` (1 x 30.00 +
        3 x 12.00, 79.20 with VAT), signed and paid on the portal with its
        access token and the demo provider.

        :return: the order and its transaction
        """
        salesman = self._create_role_user("salesman", "rb_signup_salesman")
        self.customer.email = "compta@boulangerie-martin.example"
        order = (
            self.env["sale.order"]
            .with_user(salesman)
            .create(
                {
                    "partner_id": self.customer.id,
                    "company_id": self.company.id,
                    "sale_order_template_id": template.id,
                    "require_signature": True,
                    "require_payment": True,
                    "prepayment_percent": 1.0,
                    "order_line": [
                        Command.create(
                            {"product_id": self.product_cloud.id, "product_uom_qty": 1}
                        ),
                        Command.create(
                            {"product_id": self.product_seat.id, "product_uom_qty": 3}
                        ),
                    ],
                }
            )
        )
        order.action_quotation_sent()
        order = order.with_env(self.env)
        self.assertEqual(order.amount_total, 79.2)
        access_token = order._portal_ensure_token()
        self._jsonrpc(
            f"/my/orders/{order.id}/accept",
            {
                "access_token": access_token,
                "name": "Pierre Martin",
                "signature": SIGNATURE,
            },
        )
        self.assertEqual(order.signed_by, "Pierre Martin")
        processing = self._jsonrpc(
            f"/my/orders/{order.id}/transaction",
            {
                "access_token": access_token,
                "provider_id": self.provider.id,
                "payment_method_id": self.provider.payment_method_ids[:1].id,
                "token_id": None,
                "amount": order.amount_total,
                "flow": "direct",
                "tokenization_requested": False,
                "landing_route": order.get_portal_url(),
                "is_validation": False,
            },
        )
        self._jsonrpc(
            "/payment/demo/simulate_payment",
            {
                "reference": processing["reference"],
                "payment_details": "4242",
                "simulated_state": "done",
            },
        )
        self._jsonrpc("/payment/status/poll", {})
        return order, order.transaction_ids

    def test_quotation_signed_and_paid_online(self):
        """A salesman's subscription quotation, signed and paid on the portal
        with the access token: the card is saved (required for a
        subscription) and becomes the subscription's, the first invoice is
        the one paid, the welcome email goes out."""
        order, tx = self._pay_quotation(self.template_online)
        self.assertEqual(tx.state, "done")
        self.assertTrue(tx.token_id, "a subscription's payment method is saved")
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.subscription_state, "active")
        self.assertEqual(order.payment_token_id, tx.token_id)
        invoice = order.subscription_invoice_ids
        self.assertEqual(len(invoice), 1)
        self.assertEqual(tx.invoice_ids, invoice)
        self.assertEqual(invoice.amount_total, 79.2)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(tx.payment_id.amount, 79.2)
        self.assertFalse(order.recurring_prepayment_tx_id)
        subjects = (
            self.env["mail.mail"]
            .search([("model", "=", "sale.order"), ("res_id", "=", order.id)])
            .mapped("subject")
        )
        self.assertTrue(any("welcome" in subject for subject in subjects), subjects)

    def test_quotation_with_trial_paid_online(self):
        """Paid before its first invoice is due (a 14-day trial): the payment
        waits, then pays the first invoice when the job posts it at the end
        of the trial; the invoice is never charged again."""
        order, tx = self._pay_quotation(self.template_trial)
        self.assertEqual(order.subscription_state, "trial")
        self.assertFalse(order.subscription_invoice_ids)
        self.assertEqual(order.recurring_prepayment_tx_id, tx)
        self.assertEqual(tx.payment_id.amount, 79.2)
        self.assertEqual(order.payment_token_id, tx.token_id)
        with freeze_time(order.trial_end_date):
            self.env["recurring.invoicing"]._cron_recurring_invoice()
        invoice = order.subscription_invoice_ids
        self.assertEqual(invoice.invoice_date, order.trial_end_date)
        self.assertEqual(invoice.amount_total, 79.2)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertFalse(order.recurring_prepayment_tx_id)
        # The automatic charge of the invoice finds nothing to pay.
        self.company.recurring_test_charges = True
        with freeze_time(order.trial_end_date):
            self.env["recurring.payment.charge"]._cron_charge_invoices()
        self.assertFalse(
            self.env["payment.transaction"].search(
                [("recurring_invoice_id", "=", invoice.id)]
            )
        )

    def _csrf_token(self, url):
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200, url)
        return re.search(r'name="csrf_token" value="([^"]+)"', response.text).group(1)
