# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import RecurringBillingCommon

TIERS = [(10, 10.0), (50, 8.0), (0, 5.0)]


@tagged("post_install", "-at_install")
class TestPricingModels(RecurringBillingCommon):
    """Each pricing model, billed by the job, to the cent (20 % VAT)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.product_support = cls._create_product(
            name="Support package",
            type="service",
            lst_price=50.0,
            recurring_invoice=True,
            recurring_pricing_model="flat",
            invoice_policy="order",
        )
        cls.product_tiered = cls._create_tiered_product("Seats (graduated)", "tiered")
        cls.product_volume = cls._create_tiered_product("Seats (volume)", "volume")
        # 0.002 EUR a call needs prices with 4 decimals, as Odoo users set them.
        cls.env.ref("product.decimal_price").digits = 4
        cls.product_api = cls._create_product(
            name="API calls",
            type="service",
            lst_price=0.002,
            recurring_invoice=True,
            recurring_usage=True,
            recurring_usage_included=1000,
            invoice_policy="order",
        )

    @classmethod
    def _create_tiered_product(cls, name, model):
        return cls._create_product(
            name=name,
            type="service",
            lst_price=10.0,
            recurring_invoice=True,
            recurring_pricing_model=model,
            invoice_policy="order",
            recurring_tier_ids=[
                Command.create({"up_to": up_to, "unit_price": price})
                for up_to, price in TIERS
            ],
        )

    def _record_usage(self, sub, day, quantity, reference=None, product=None):
        return self.env["recurring.usage"].create(
            {
                "subscription_id": sub.id,
                "product_id": (product or self.product_api).id,
                "date": day,
                "quantity": quantity,
                "reference": reference,
            }
        )

    def assertAmounts(self, move, untaxed, tax, total):
        self.assertEqual(
            (move.amount_untaxed, move.amount_tax, move.amount_total),
            (untaxed, tax, total),
        )

    def test_flat_fee_ignores_the_quantity(self):
        sub = self._create_subscription("2025-03-01", lines=[(self.product_support, 3)])
        self.assertEqual(sub.recurring_amount_untaxed, 50.0)
        move = self._run_engine("2025-03-01")
        self.assertAmounts(move, 50.0, 10.0, 60.0)
        self.assertEqual(move.invoice_line_ids.quantity, 1.0)

    def test_per_unit(self):
        self._create_subscription("2025-03-01", lines=[(self.product_seat, 7)])
        move = self._run_engine("2025-03-01")
        self.assertAmounts(move, 84.0, 16.8, 100.8)

    def test_tiered_prices_each_tier_separately(self):
        sub = self._create_subscription("2025-03-01", lines=[(self.product_tiered, 60)])
        self.assertEqual(sub.recurring_amount_untaxed, 470.0)
        move = self._run_engine("2025-03-01")
        # 10 x 10.00 + 40 x 8.00 + 10 x 5.00
        self.assertAmounts(move, 470.0, 94.0, 564.0)
        lines = move.invoice_line_ids.sorted("price_unit")
        self.assertEqual(lines.mapped("quantity"), [10.0, 40.0, 10.0])
        self.assertEqual(lines.mapped("price_unit"), [5.0, 8.0, 10.0])
        self.assertEqual(
            lines.mapped("name"),
            [
                "Seats (graduated) (above 50)",
                "Seats (graduated) (11 to 50)",
                "Seats (graduated) (1 to 10)",
            ],
        )

    def test_volume_prices_all_units_at_the_tier_reached(self):
        self._create_subscription("2025-03-01", lines=[(self.product_volume, 60)])
        self._create_subscription("2025-03-01", lines=[(self.product_volume, 30)])
        moves = self._run_engine("2025-03-01").sorted("amount_total")
        self.assertAmounts(moves[0], 240.0, 48.0, 288.0)  # 30 x 8.00
        self.assertAmounts(moves[1], 300.0, 60.0, 360.0)  # 60 x 5.00

    def test_tiers_follow_the_currency_and_the_fiscal_position(self):
        usd = self.setup_other_currency("USD", rates=[("2016-01-01", 2.0)])
        # Prices of a product are in its company's currency, here EUR.
        self.product_tiered.company_id = self.company
        self.assertEqual(self.product_tiered.currency_id.name, "EUR")
        pricelist = self.env["product.pricelist"].create(
            {"name": "USD", "currency_id": usd.id}
        )
        tax_0 = self.tax_20.copy({"name": "0% EU", "amount": 0.0})
        fiscal_position = self.env["account.fiscal.position"].create(
            {
                "name": "Intra-EU B2B",
                "tax_ids": [
                    Command.create(
                        {"tax_src_id": self.tax_20.id, "tax_dest_id": tax_0.id}
                    )
                ],
            }
        )
        self._create_subscription(
            "2025-03-01",
            lines=[(self.product_tiered, 60)],
            pricelist_id=pricelist.id,
            fiscal_position_id=fiscal_position.id,
        )
        move = self._run_engine("2025-03-01")
        self.assertEqual(move.currency_id, usd)
        # The tiers in EUR at 2 USD per EUR: 2 x 470.00, no VAT.
        self.assertAmounts(move, 940.0, 0.0, 940.0)
        self.assertEqual(move.invoice_line_ids.tax_ids, tax_0)
        self.assertEqual(move.amount_total_signed, 470.0)

    def test_usage_billed_in_arrears_above_the_allowance(self):
        sub = self._create_subscription(
            "2025-03-01", lines=[(self.product_cloud, 1), (self.product_api, 1)]
        )
        first = self._run_engine("2025-03-01")
        # Prepaid: the first invoice has the base only.
        self.assertAmounts(first, 30.0, 6.0, 36.0)
        self._record_usage(sub, "2025-03-02", 200_000, "batch-1")
        self._record_usage(sub, "2025-03-31", 51_000, "batch-2")
        april_usage = self._record_usage(sub, "2025-04-01", 800, "batch-3")
        second = self._run_engine("2025-04-01")
        # Hybrid: the base of April + March's usage above 1,000 included:
        # 250,000 x 0.002 = 500.00.
        self.assertAmounts(second, 530.0, 106.0, 636.0)
        usage_line = second.invoice_line_ids.filtered(
            lambda line: line.product_id == self.product_api
        )
        self.assertEqual(usage_line.quantity, 250_000)
        self.assertEqual(usage_line.start_date, date(2025, 3, 1))
        self.assertEqual(usage_line.end_date, date(2025, 3, 31))
        self.assertEqual(len(second.recurring_usage_ids), 2)
        self.assertFalse(april_usage.move_id)
        self.assertEqual(sub.usage_billed_until, date(2025, 4, 1))
        # Within the allowance: nothing billed for usage.
        third = self._run_engine("2025-05-01")
        self.assertAmounts(third, 30.0, 6.0, 36.0)
        self.assertEqual(april_usage.move_id, third)

    def test_last_prepaid_period_usage_is_billed_at_the_end(self):
        sub = self._create_subscription(
            "2025-03-01", lines=[(self.product_cloud, 1), (self.product_api, 1)]
        )
        self._run_engine("2025-03-01")
        with freeze_time("2025-03-10"):
            sub.action_subscription_cancel_at_period_end()
        self._record_usage(sub, "2025-03-20", 6_000, "last-month")
        moves = self._run_engine("2025-04-02")
        self.assertEqual(sub.subscription_state, "closed")
        # 6,000 - 1,000 included = 5,000 x 0.002 = 10.00, on a usage-only invoice.
        self.assertEqual(len(moves), 1)
        self.assertAmounts(moves, 10.0, 2.0, 12.0)
        # Issued the day the job bills it.
        self.assertEqual(moves.invoice_date, date(2025, 4, 2))
        self.assertEqual(moves.invoice_line_ids.product_id, self.product_api)
        self.assertEqual(moves.invoice_line_ids.end_date, date(2025, 3, 31))
        self.assertEqual(moves.recurring_usage_ids.reference, "last-month")

    def test_closing_now_bills_the_usage_so_far(self):
        sub = self._create_subscription(
            "2025-03-01", lines=[(self.product_cloud, 1), (self.product_api, 1)]
        )
        self._run_engine("2025-03-01")
        self._record_usage(sub, "2025-03-05", 3_500, "early")
        with freeze_time("2025-03-12"):
            sub.action_subscription_close()
        final = sub.subscription_invoice_ids.filtered("recurring_usage_ids")
        # 3,500 - 1,000 = 2,500 x 0.002 = 5.00
        self.assertAmounts(final, 5.0, 1.0, 6.0)
        self.assertEqual(final.state, "posted")

    def test_usage_with_tiers_on_the_period_total(self):
        product = self._create_tiered_product("Storage GB", "tiered")
        product.write({"recurring_usage": True, "recurring_usage_included": 5})
        template = self.template_monthly.copy(
            {"invoicing_mode": "postpaid", "sale_order_template_line_ids": False}
        )
        sub = self._create_subscription(
            "2025-03-01", template=template, lines=[(product, 1)]
        )
        self._record_usage(sub, "2025-03-05", 20, product=product)
        self._record_usage(sub, "2025-03-20", 10, product=product)
        move = self._run_engine("2025-04-01")
        # 30 used - 5 included = 25: 10 x 10.00 + 15 x 8.00
        self.assertAmounts(move, 220.0, 44.0, 264.0)

    def test_invoice_lines_in_the_customer_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(
            ["recurring_billing"], ["fr_FR"]
        )
        self.customer.lang = "fr_FR"
        self._create_subscription("2025-03-01", lines=[(self.product_tiered, 60)])
        move = self._run_engine("2025-03-01")
        self.assertEqual(
            sorted(move.invoice_line_ids.mapped("name")),
            [
                "Seats (graduated) (1 à 10)",
                "Seats (graduated) (11 à 50)",
                "Seats (graduated) (au-delà de 50)",
            ],
        )

    def test_bad_tiers_are_refused(self):
        cases = {
            "overlap or do not increase": [(10, 10.0), (10, 8.0), (0, 5.0)],
            "last tier": [(10, 10.0), (50, 8.0)],
            "cannot be negative": [(10, -1.0), (0, 5.0)],
            "at least one tier": [],
        }
        Template = self.env["product.template"]
        for message, tiers in cases.items():
            with (
                self.subTest(message),
                self.assertRaisesRegex(ValidationError, message),
                self.cr.savepoint(),
            ):
                self._create_product(
                    name="Bad tiers",
                    recurring_invoice=True,
                    recurring_pricing_model="tiered",
                    recurring_tier_ids=[
                        Command.create({"up_to": up_to, "unit_price": price})
                        for up_to, price in tiers
                    ],
                )
                self.env.flush_all()
            self.assertFalse(Template.search_count([("name", "=", "Bad tiers")]))
        with self.assertRaisesRegex(ValidationError, "flat fee"), self.cr.savepoint():
            self.product_api.recurring_pricing_model = "flat"
            self.env.flush_all()
        self.env.invalidate_all()
        self.assertEqual(self.product_api.recurring_pricing_model, "per_unit")
        tiers = self.product_tiered.recurring_tier_ids
        with (
            self.assertRaisesRegex(ValidationError, "at least one tier"),
            self.cr.savepoint(),
        ):
            self.product_tiered.recurring_tier_ids = [Command.clear()]
            self.env.flush_all()
        self.env.invalidate_all()
        self.assertEqual(len(tiers), 3)
        self.assertEqual(self.product_tiered.recurring_tier_ids, tiers)
        self.assertEqual(tiers.exists(), tiers)

    def test_bad_usage_is_refused(self):
        sub = self._create_subscription(
            "2025-03-01", lines=[(self.product_cloud, 1), (self.product_api, 1)]
        )
        usage = self._record_usage(sub, "2025-03-02", 10, "ref-1")
        Usage = self.env["recurring.usage"]
        refused = [
            ("outside subscription", ("2025-02-27", 10), {}),
            ("ref-1 is already recorded", ("2025-03-03", 10, "ref-1"), {}),
            (
                "is not a metered product",
                ("2025-03-03", 10),
                {"product": self.product_seat},
            ),
            ("cannot be negative", ("2025-03-03", -1), {}),
        ]
        for message, args, kwargs in refused:
            with (
                self.subTest(message),
                self.assertRaisesRegex(ValidationError, message),
                self.cr.savepoint(),
            ):
                self._record_usage(sub, *args, **kwargs)
                self.env.flush_all()
            self.assertEqual(Usage.search([("subscription_id", "=", sub.id)]), usage)
        self._run_engine("2025-04-01")
        self.assertTrue(usage.move_id)
        with (
            self.assertRaisesRegex(ValidationError, "already invoiced"),
            self.cr.savepoint(),
        ):
            self._record_usage(sub, "2025-03-30", 10)
            self.env.flush_all()
        self.assertEqual(Usage.search([("subscription_id", "=", sub.id)]), usage)
        sub.action_subscription_close()
        with (
            self.assertRaisesRegex(ValidationError, "running subscription"),
            self.cr.savepoint(),
        ):
            self._record_usage(sub, "2025-04-01", 10)
            self.env.flush_all()
        self.assertEqual(Usage.search([("subscription_id", "=", sub.id)]), usage)

    def test_duplicate_usage_import_changes_nothing(self):
        sub = self._create_subscription(
            "2025-03-01", lines=[(self.product_cloud, 1), (self.product_api, 1)]
        )
        Usage = self.env["recurring.usage"]
        fields = [
            "subscription_id/.id",
            "product_id/.id",
            "date",
            "quantity",
            "reference",
        ]
        rows = [
            [str(sub.id), str(self.product_api.id), "2025-03-02", "1500", "imp-1"],
            [str(sub.id), str(self.product_api.id), "2025-03-03", "700", "imp-2"],
        ]
        result = Usage.load(fields, rows)
        self.assertFalse(result["messages"])
        self.assertEqual(len(result["ids"]), 2)
        again = Usage.load(fields, rows)
        self.assertFalse(again["ids"])
        self.assertIn("imp-1", again["messages"][0]["message"])
        self.assertEqual(Usage.search_count([("subscription_id", "=", sub.id)]), 2)
        move = self._run_engine("2025-04-01").sorted("invoice_date")[-1]
        # 2,200 - 1,000 included = 1,200 x 0.002 = 2.40, once.
        self.assertAmounts(move, 32.4, 6.48, 38.88)
