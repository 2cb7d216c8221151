# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""A change of offer (Cloud to Premium) on the customer portal: only the
offers the template lists, prorated and applied as the Change wizard does."""

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import RecurringBillingCommon
from .common_portal import RecurringPortalCommon


@tagged("post_install", "-at_install")
class TestPortalOfferEngine(RecurringBillingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.product_premium = cls._create_product(
            name="Premium hosting",
            type="service",
            lst_price=50.0,
            recurring_invoice=True,
            invoice_policy="order",
        )
        cls.template_offers = cls.template_monthly.copy(
            {
                "name": "Cloud monthly, Cloud or Premium",
                "switch_product_ids": [
                    Command.set((cls.product_cloud | cls.product_premium).ids)
                ],
            }
        )

    def test_upgrade_credits_and_bills_as_the_engine(self):
        """Cloud (30.00) to Premium (50.00) on 11 January from the portal:
        the figures of the engine's own plan upgrade, to the cent."""
        sub = self._create_subscription("2025-01-01", template=self.template_offers)
        first = self._run_engine("2025-01-01")
        self.assertEqual(first.amount_untaxed, 66.0)
        current, quantity, offers = sub._get_portal_offers()
        self.assertEqual(current, self.product_cloud)
        self.assertEqual(quantity, 1.0)
        self.assertEqual(offers, self.product_cloud | self.product_premium)
        with freeze_time("2025-01-11"):
            preview = sub._portal_preview_change({}, offer=self.product_premium)
            self.assertEqual(
                [
                    (change["product"], change["new_quantity"], change["amount"])
                    for change in preview["lines"]
                ],
                [(self.product_cloud, 0.0, -20.32), (self.product_premium, 1.0, 33.87)],
            )
            self.assertEqual(preview["amount_total"], 16.26)
            change = sub._portal_change({}, self.customer, offer=self.product_premium)
        invoice = change.invoice_ids
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.move_type, "out_invoice")
        # -(30.00 - 9.68) + (50.00 - 16.13) = -20.32 + 33.87
        self.assertEqual(
            sorted(
                (line.product_id.name, line.price_subtotal)
                for line in invoice.invoice_line_ids
            ),
            [("Cloud hosting", -20.32), ("Premium hosting", 33.87)],
        )
        self.assertEqual(
            (invoice.amount_untaxed, invoice.amount_tax, invoice.amount_total),
            (13.55, 2.71, 16.26),
        )
        self.assertTrue(
            sub.message_ids.filtered(
                lambda m: "Changed by the customer" in (m.body or "")
            )
        )
        # Premium is now the offer, Cloud can be switched back to; Cloud at
        # zero is no quantity to change.
        current, quantity, offers = sub._get_portal_offers()
        self.assertEqual((current, quantity), (self.product_premium, 1.0))
        self.assertNotIn(self.product_cloud, sub._get_portal_change_products())
        february = self._run_engine("2025-02-01")
        self.assertEqual(february.amount_untaxed, 86.0)  # 50.00 + 3 x 12.00
        self.assertEqual(
            february.invoice_line_ids.product_id,
            self.product_premium | self.product_seat,
        )

    def test_offer_takes_the_quantity_asked(self):
        """Two Cloud to three Premium on 11 January: one change, one invoice."""
        sub = self._create_subscription(
            "2025-01-01",
            template=self.template_offers,
            lines=[(self.product_cloud, 2), (self.product_seat, 3)],
        )
        self._run_engine("2025-01-01")
        with freeze_time("2025-01-11"):
            change = sub._portal_change(
                {self.product_cloud: 3.0}, self.customer, offer=self.product_premium
            )
        # -(60.00 - 19.35) + (150.00 - 48.39) = -40.65 + 101.61
        self.assertEqual(
            sorted(change.invoice_ids.invoice_line_ids.mapped("price_subtotal")),
            [-40.65, 101.61],
        )
        quantities = {line.product_id: line.product_uom_qty for line in sub.order_line}
        self.assertEqual(quantities[self.product_cloud], 0.0)
        self.assertEqual(quantities[self.product_premium], 3.0)

    def test_only_listed_offers(self):
        sub = self._create_subscription("2025-01-01", template=self.template_offers)
        self._run_engine("2025-01-01")
        other = self._create_product(
            name="Dedicated server",
            type="service",
            lst_price=90.0,
            recurring_invoice=True,
        )
        with (
            freeze_time("2025-01-11"),
            self.assertRaisesRegex(UserError, "cannot be chosen"),
        ):
            sub._portal_change({}, self.customer, offer=other)
        self.assertFalse(sub.subscription_change_order_ids)
        # A template without offers offers none.
        plain = self._create_subscription("2025-01-01")
        self.assertFalse(plain._get_portal_offers()[2])

    def test_offers_are_subscription_products_of_the_company(self):
        with self.assertRaisesRegex(ValidationError, "only switch to subscription"):
            self.template_offers.switch_product_ids = [
                Command.link(self.product_setup.id)
            ]
        other_company = self.env["res.company"].create({"name": "Autre SAS"})
        foreign = self._create_product(
            name="Foreign hosting",
            type="service",
            lst_price=10.0,
            recurring_invoice=True,
            company_id=other_company.id,
        )
        with self.assertRaisesRegex(ValidationError, "another company"):
            self.template_offers.switch_product_ids = [Command.link(foreign.id)]


@tagged("post_install", "-at_install")
class TestPortalOfferHttp(RecurringPortalCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.product_premium = cls._create_product(
            name="Premium hosting",
            type="service",
            lst_price=50.0,
            recurring_invoice=True,
            invoice_policy="order",
        )

    def _post(self, suffix, data=None):
        url = f"/my/subscriptions/{self.subscription.id}"
        csrf = self._csrf_token("/subscriptions/cancel")
        return self.url_open(url + suffix, data={"csrf_token": csrf, **(data or {})})

    def _list_offers(self):
        self.template_portal.switch_product_ids = [
            Command.set((self.product_cloud | self.product_premium).ids)
        ]

    def test_template_without_offers_shows_no_choice(self):
        self.authenticate("rb_portal_subscriber", "rb_portal_subscriber")
        response = self.url_open(f"/my/subscriptions/{self.subscription.id}/change")
        self.assertEqual(response.status_code, 200)
        self.assertIn("o_subscription_change_form", response.text)
        self.assertNotIn("o_subscription_offers", response.text)
        before = self._snapshot(self.subscription)
        response = self._post("/change/confirm", {"offer": str(self.product_cloud.id)})
        self.assertIn("o_subscription_error", response.text)
        self.assertEqual(self._snapshot(self.subscription), before)

    def test_upgrade_previews_then_applies_as_the_wizard(self):
        self._list_offers()
        self.authenticate("rb_portal_subscriber", "rb_portal_subscriber")
        response = self.url_open(f"/my/subscriptions/{self.subscription.id}/change")
        self.assertIn("o_subscription_offers", response.text)
        self.assertIn(f'value="{self.product_premium.id}"', response.text)
        self.assertIn("50.00", response.text)
        preview = self.subscription._preview_subscription_change(
            {self.product_cloud: 0.0, self.product_premium: 1.0}
        )
        self.assertGreater(preview["amount_total"], 0)
        data = {"offer": str(self.product_premium.id)}
        response = self._post("/change", data)
        self.assertIn("o_subscription_change_preview", response.text)
        self.assertIn(f"{preview['amount_total']:.2f}", response.text)
        self.assertIn(f'name="offer" value="{self.product_premium.id}"', response.text)
        # Nothing changes before the confirmation.
        self.assertFalse(
            self.subscription.order_line.filtered(
                lambda line: line.product_id == self.product_premium
            )
        )
        mails_before = self.env["mail.mail"].search_count(
            [
                ("model", "=", "sale.order"),
                ("res_id", "=", self.subscription.id),
                ("subject", "ilike", "has been changed"),
            ]
        )
        response = self._post("/change/confirm", data)
        self.assertIn('data-notice="changed"', response.text)
        quantities = {
            line.product_id: line.product_uom_qty
            for line in self.subscription.order_line
        }
        self.assertEqual(quantities[self.product_cloud], 0.0)
        self.assertEqual(quantities[self.product_premium], 1.0)
        self.assertEqual(quantities[self.product_seat], 3.0)
        change_order = self.subscription.subscription_change_order_ids
        self.assertEqual(len(change_order), 1)
        invoice = change_order.invoice_ids
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.amount_total, preview["amount_total"])
        self.assertEqual(
            sorted(
                (line.product_id.id, line.price_subtotal)
                for line in invoice.invoice_line_ids
            ),
            sorted(
                (change["product"].id, change["amount"]) for change in preview["lines"]
            ),
        )
        self.assertTrue(
            self.subscription.message_ids.filtered(
                lambda m: "Changed by the customer" in (m.body or "")
                and m.author_id == self.customer
            )
        )
        self.assertEqual(
            self.env["mail.mail"].search_count(
                [
                    ("model", "=", "sale.order"),
                    ("res_id", "=", self.subscription.id),
                    ("subject", "ilike", "has been changed"),
                ]
            ),
            mails_before + 1,
        )
        # The next invoice bills Premium, not Cloud: 50.00 + 3 x 12.00.
        next_invoice = self._run_engine(self.subscription.next_invoice_date).filtered(
            lambda move: move.subscription_id == self.subscription
        )
        self.assertEqual(next_invoice.amount_untaxed, 86.0)
        self.assertEqual(
            next_invoice.invoice_line_ids.product_id,
            self.product_premium | self.product_seat,
        )

    def test_forged_offer_is_refused(self):
        self._list_offers()
        self.authenticate("rb_portal_subscriber", "rb_portal_subscriber")
        before = self._snapshot(self.subscription)
        for offer in (
            self.product_setup.id,  # not a subscription product
            self.product_backup.id,  # an add-on, not a listed offer
            self.product_premium.id + 100000,  # no such product
            "premium",
        ):
            for suffix in ("/change", "/change/confirm"):
                response = self._post(suffix, {"offer": str(offer)})
                self.assertIn("This offer cannot be chosen", response.text, offer)
                self.assertNotIn("o_subscription_change_preview", response.text)
        self.assertEqual(self._snapshot(self.subscription), before)

    def test_closed_subscription_offers_no_change(self):
        self._list_offers()
        self.subscription._subscription_close(self.today)
        before = self._snapshot(self.subscription)
        self.authenticate("rb_portal_subscriber", "rb_portal_subscriber")
        response = self._post(
            "/change/confirm", {"offer": str(self.product_premium.id)}
        )
        self.assertIn("o_subscription_error", response.text)
        self.assertEqual(self._snapshot(self.subscription), before)
