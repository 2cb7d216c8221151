# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import re
from datetime import timedelta

from odoo import Command
from odoo.tests import HttpCase, new_test_user

from .common import RecurringBillingCommon


class RecurringPortalCommon(RecurringBillingCommon, HttpCase):
    """A subscriber with a portal account and a monthly subscription that
    started 40 days ago (two invoices), on a template that may be paused and
    has a Backup add-on; another customer's subscription; the same
    subscriber's subscription in another company."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.partner_id.email = "facturation@nuage-libre.example"
        cls.customer.write(
            {"email": "compta@boulangerie-martin.example", "lang": "en_US"}
        )
        company = {
            "company_id": cls.company.id,
            "company_ids": [Command.set(cls.company.ids)],
        }
        cls.portal_user = new_test_user(
            cls.env,
            "rb_portal_subscriber",
            password="rb_portal_subscriber",
            email="compta@boulangerie-martin.example",
            groups="base.group_portal",
            partner_id=cls.customer.id,
            **company,
        )
        cls.other_customer = cls.env["res.partner"].create(
            {
                "name": "Fromagerie Dubois",
                "email": "contact@fromagerie-dubois.example",
                "country_id": cls.env.ref("base.fr").id,
            }
        )
        cls.other_user = new_test_user(
            cls.env,
            "rb_portal_other",
            password="rb_portal_other",
            email="contact@fromagerie-dubois.example",
            groups="base.group_portal",
            partner_id=cls.other_customer.id,
            **company,
        )
        # new_test_user names the partners after the logins.
        cls.customer.name = "Boulangerie Martin"
        cls.other_customer.name = "Fromagerie Dubois"
        cls.product_backup = cls._create_product(
            name="Backup",
            type="service",
            lst_price=5.0,
            recurring_invoice=True,
            invoice_policy="order",
        )
        cls.template_portal = cls.template_monthly.copy(
            {
                "name": "Cloud monthly, self-service",
                "pausable": True,
                "sale_order_template_option_ids": [
                    Command.create({"product_id": cls.product_backup.id})
                ],
            }
        )
        cls.today = cls.company._get_today()
        cls.start = cls.today - timedelta(days=40)
        cls.subscription = cls._create_subscription(
            cls.start, template=cls.template_portal
        )
        cls.other_subscription = cls._create_subscription(
            cls.start, template=cls.template_portal, partner_id=cls.other_customer.id
        )
        cls._run_engine_today()

    @classmethod
    def _prepare_demo_provider(cls):
        """Odoo's demo payment provider (``payment_demo``: tokenisation and
        validation, no network) in the subscriber's company, or ``None``
        when that module is not installed (``tasks.py test`` installs it)."""
        demo = cls.env.ref("payment.payment_provider_demo", raise_if_not_found=False)
        # The demo provider of the main company, copied in the test company.
        demo = demo and demo.sudo()
        if not demo or demo.code != "demo":
            return None
        provider = demo.search(
            [("code", "=", "demo"), ("company_id", "=", cls.company.id)], limit=1
        ) or demo.copy({"company_id": cls.company.id})
        provider.write(
            {"state": "test", "is_published": True, "allow_tokenization": True}
        )
        return provider

    @classmethod
    def _create_demo_token(cls, provider, details, partner=None, **vals):
        return cls.env["payment.token"].create(
            {
                "provider_id": provider.id,
                "payment_method_id": provider.payment_method_ids[:1].id,
                "payment_details": details,
                "partner_id": (partner or cls.customer).id,
                "provider_ref": f"demo-{details}",
                "demo_simulated_state": "done",
                **vals,
            }
        )

    @classmethod
    def _run_engine_today(cls):
        SaleOrder = cls.env["sale.order"]
        for _call in range(20):
            cls.env["recurring.invoicing"]._cron_recurring_invoice()
            if not SaleOrder.search_count(
                SaleOrder._get_subscriptions_to_invoice_domain()
            ):
                break

    def _create_new_subscriber(self, login, **partner_vals):
        """A French customer with a portal account (password = login) and a
        subscription that starts in ten days: nothing invoiced yet, so that
        its VAT number and name may still change."""
        partner = self.env["res.partner"].create(
            {
                "name": "Librairie Bernard",
                "email": f"{login}@librairie-bernard.example",
                "street": "5 rue des Livres",
                "zip": "33000",
                "city": "Bordeaux",
                "country_id": self.env.ref("base.fr").id,
                "lang": "en_US",
                **partner_vals,
            }
        )
        new_test_user(
            self.env,
            login,
            password=login,
            email=partner.email,
            groups="base.group_portal",
            partner_id=partner.id,
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        subscription = self._create_subscription(
            self.today + timedelta(days=10),
            template=self.template_portal,
            partner_id=partner.id,
        )
        return partner, subscription

    def _csrf_token(self, url):
        """The CSRF token of the form on the page at ``url``."""
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200, url)
        match = re.search(r'name="csrf_token" value="([^"]+)"', response.text)
        self.assertTrue(match, f"no form on {url}")
        return match.group(1)

    def _snapshot(self, order):
        """What a refused request must leave unchanged."""
        order.invalidate_recordset()
        return (
            order.subscription_state,
            order.subscription_end_date,
            order.next_invoice_date,
            order.close_reason_id,
            [(line.product_id.id, line.product_uom_qty) for line in order.order_line],
            len(order.message_ids),
            self.env["sale.order"].search_count(
                [("subscription_parent_id", "=", order.id)]
            ),
        )
