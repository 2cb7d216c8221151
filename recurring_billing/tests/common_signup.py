# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import json
import re

from odoo import Command
from odoo.tests import HttpCase

from .common import RecurringBillingCommon


class RecurringSignupCommon(RecurringBillingCommon, HttpCase):
    """Two subscription templates published online in the French test
    company: "cloud-monthly" (1 x 30.00 + 3 x 12.00 a month, a Backup add-on
    at 5.00, 20 % VAT) and "cloud-trial" (the same with 14 days of trial);
    Odoo's demo payment provider in that company."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({"siret": "33417522100012"})
        cls.product_backup = cls._create_product(
            name="Backup",
            type="service",
            lst_price=5.0,
            recurring_invoice=True,
            invoice_policy="order",
        )
        cls.template_online = cls.template_monthly.copy(
            {
                "name": "Cloud monthly online",
                "company_id": cls.company.id,
                "online_published": True,
                "online_slug": "cloud-monthly",
                "online_terms_version": "2026-01",
                "online_terms": "<p>Conditions générales de service</p>",
                "online_description": "<p>Hébergement cloud avec sauvegarde.</p>",
                "auto_charge": True,
                "sale_order_template_option_ids": [
                    Command.create({"product_id": cls.product_backup.id})
                ],
            }
        )
        cls.template_trial = cls.template_online.copy(
            {
                "name": "Cloud monthly online, trial",
                "online_slug": "cloud-trial",
                "online_published": True,
                "trial_days": 14,
            }
        )
        cls.provider = cls._prepare_signup_provider()

    @classmethod
    def _prepare_signup_provider(cls):
        """Odoo's demo provider (``payment_demo``), copied in the test company."""
        demo = cls.env.ref("payment.payment_provider_demo").sudo()
        provider = demo.copy({"company_id": cls.company.id})
        provider.write(
            {"state": "test", "is_published": True, "allow_tokenization": True}
        )
        return provider

    def _counts(self):
        """What a signup that did not go through must leave unchanged."""
        return {
            "partners": self.env["res.partner"]
            .with_context(active_test=False)
            .search_count([]),
            "users": self.env["res.users"]
            .with_context(active_test=False)
            .search_count([]),
            "orders": self.env["sale.order"].search_count([]),
            "invoices": self.env["account.move"].search_count([]),
            "active_tokens": self.env["payment.token"].search_count([]),
        }

    def _form(self, **values):
        """A company's subscribe form, valid, as a browser posts it."""
        return {
            "customer_type": "company",
            "contact_name": "Julie Morel",
            "email": "julie@atelier-morel.example",
            "phone": "+33 6 12 34 56 78",
            "company_name": "Atelier Morel",
            "siret": "73282932000017",
            "vat": "FR44732829320",
            "street": "8 rue des Tanneurs",
            "zip": "67000",
            "city": "Strasbourg",
            "country_id": str(self.env.ref("base.fr").id),
            "accept_terms": "1",
            "subscribe": "1",
            **values,
        }

    def _post_subscribe(self, slug="cloud-monthly", **values):
        page = self.url_open(f"/subscribe/{slug}")
        self.assertEqual(page.status_code, 200)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        return self.url_open(
            f"/subscribe/{slug}", data={"csrf_token": csrf, **self._form(**values)}
        )

    def _signup_from(self, response):
        match = re.search(r"/subscribe/pay/(\d+)\?access_token=([\w-]+)", response.url)
        self.assertTrue(match, f"not sent to the payment page: {response.url}")
        signup = self.env["recurring.signup"].browse(int(match.group(1)))
        return signup, match.group(2)

    def _pay(self, signup, access_token, state="done", **forged):
        """Odoo's payment form on the signup's page, with the demo provider:
        the transaction route, then the demo provider's answer, then the
        status page's post-processing."""
        method = self.provider.payment_method_ids[:1]
        processing = self.make_jsonrpc_request(
            f"/subscribe/pay/{signup.id}/transaction",
            {
                "access_token": access_token,
                "provider_id": self.provider.id,
                "payment_method_id": method.id,
                "token_id": None,
                "amount": signup.amount_total,
                "flow": "direct",
                "tokenization_requested": True,
                "landing_route": "/",
                "is_validation": signup.is_trial,
                **forged,
            },
        )
        self._jsonrpc(
            "/payment/demo/simulate_payment",
            {
                "reference": processing["reference"],
                "payment_details": "4242",
                "simulated_state": state,
            },
        )
        self.make_jsonrpc_request("/payment/status/poll")
        return self.env["payment.transaction"].search(
            [("reference", "=", processing["reference"])]
        )

    def _jsonrpc(self, route, params):
        """A JSON-RPC request whose error fails the test with its message."""
        response = self.url_open(
            route,
            data=json.dumps({"jsonrpc": "2.0", "method": "call", "params": params}),
            headers={"Content-Type": "application/json"},
        ).json()
        if "error" in response:
            self.fail(response["error"]["data"]["message"])
        return response.get("result")
