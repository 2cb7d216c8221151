# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import RecurringBillingCommon


@tagged("post_install", "-at_install")
class TestChangesAndProration(RecurringBillingCommon):
    """Changes in the middle of a period: 31 days in January 2025, change on
    the 11th: 21 days left, 10 days used."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.product_backup = cls._create_product(
            name="Backup add-on",
            type="service",
            lst_price=5.0,
            recurring_invoice=True,
            invoice_policy="order",
        )
        cls.template_monthly.sale_order_template_option_ids = [
            Command.create({"product_id": cls.product_backup.id})
        ]

    def _january_subscription(self, template=None):
        sub = self._create_subscription("2025-01-01", template=template)
        first = self._run_engine("2025-01-01")
        self.assertEqual(first.amount_untaxed, 66.0)
        return sub, first

    def test_upgrade_of_a_prepaid_period_is_invoiced_now(self):
        sub, _first = self._january_subscription()
        preview = sub._preview_subscription_change(
            {self.product_seat: 5}, date(2025, 1, 11)
        )
        # 2 seats x 12.00 = 24.00 a month; 21 of 31 days:
        # 24.00 - round(24.00 x 10 / 31) = 24.00 - 7.74 = 16.26
        self.assertEqual(
            (preview["amount_untaxed"], preview["amount_tax"], preview["amount_total"]),
            (16.26, 3.25, 19.51),
        )
        self.assertTrue(preview["billed"])
        with freeze_time("2025-01-11"):
            change = sub._subscription_change({self.product_seat: 5})
        self.assertEqual(change.subscription_parent_id, sub)
        self.assertEqual(change.state, "sale")
        upsell = change.invoice_ids
        self.assertEqual(upsell.move_type, "out_invoice")
        self.assertEqual(upsell.state, "posted")
        self.assertEqual(upsell.subscription_id, sub)
        self.assertEqual(
            (upsell.amount_untaxed, upsell.amount_tax, upsell.amount_total),
            (16.26, 3.25, 19.51),
        )
        self.assertEqual(upsell.invoice_line_ids.start_date, date(2025, 1, 11))
        self.assertEqual(upsell.invoice_line_ids.end_date, date(2025, 1, 31))
        self.assertEqual(sub.order_line[1].product_uom_qty, 5)
        # February bills the new quantity, and nothing twice.
        february = self._run_engine("2025-02-01")
        self.assertEqual(february.amount_untaxed, 90.0)

    def test_plan_upgrade_swaps_products(self):
        """Cloud (30.00) to Premium (50.00) on 11 January: the unused part of
        Cloud is credited and the rest of Premium billed on one invoice."""
        premium = self._create_product(
            name="Premium hosting",
            type="service",
            lst_price=50.0,
            recurring_invoice=True,
            invoice_policy="order",
        )
        sub, _first = self._january_subscription()
        with freeze_time("2025-01-11"):
            change = sub._subscription_change({self.product_cloud: 0, premium: 1})
        upsell = change.invoice_ids
        # -(30.00 - 9.68) + (50.00 - 16.13) = -20.32 + 33.87
        self.assertEqual(
            sorted(upsell.invoice_line_ids.mapped("price_subtotal")), [-20.32, 33.87]
        )
        self.assertEqual(
            (upsell.amount_untaxed, upsell.amount_tax, upsell.amount_total),
            (13.55, 2.71, 16.26),
        )
        february = self._run_engine("2025-02-01")
        self.assertEqual(february.amount_untaxed, 86.0)  # 50.00 + 3 x 12.00
        self.assertEqual(
            february.invoice_line_ids.product_id, premium | self.product_seat
        )

    def test_upgrade_on_the_next_invoice(self):
        template = self.template_monthly.copy({"upsell_billing": "next_invoice"})
        sub, _first = self._january_subscription(template)
        with freeze_time("2025-01-11"):
            change = sub._subscription_change({self.product_seat: 5})
        self.assertFalse(change.invoice_ids)
        february = self._run_engine("2025-02-01")
        # 30.00 + 5 x 12.00 + 16.26 of January
        self.assertEqual(
            (february.amount_untaxed, february.amount_tax, february.amount_total),
            (106.26, 21.25, 127.51),
        )
        self.assertEqual(change.invoice_ids, february)
        self.assertEqual(change.order_line.qty_to_invoice, 0.0)
        self.assertEqual(self._run_engine("2025-03-01").amount_untaxed, 90.0)

    def test_downgrade_of_a_prepaid_period_is_credited(self):
        sub, first = self._january_subscription()
        with freeze_time("2025-01-11"):
            change = sub._subscription_change({self.product_seat: 1})
        credit = change.invoice_ids
        self.assertEqual(credit.move_type, "out_refund")
        self.assertEqual(credit.state, "posted")
        self.assertEqual(credit.reversed_entry_id, first)
        self.assertIn(first.name, credit.ref)
        self.assertEqual(
            (credit.amount_untaxed, credit.amount_tax, credit.amount_total),
            (16.26, 3.25, 19.51),
        )
        self.assertEqual(self._run_engine("2025-02-01").amount_untaxed, 42.0)

    def test_quantity_change_in_a_postpaid_period(self):
        template = self.template_monthly.copy({"invoicing_mode": "postpaid"})
        sub = self._create_subscription("2025-01-01", template=template)
        with freeze_time("2025-01-11"):
            change = sub._subscription_change({self.product_seat: 5})
        self.assertFalse(change.invoice_ids)
        move = self._run_engine("2025-02-01")
        # 3 seats for 10 days and 5 for 21: 30.00 + 60.00 - 7.74
        self.assertEqual(
            (move.amount_untaxed, move.amount_tax, move.amount_total),
            (82.26, 16.45, 98.71),
        )

    def test_add_on_mid_period(self):
        sub, _first = self._january_subscription()
        with freeze_time("2025-01-11"):
            preview = sub._preview_subscription_change({self.product_backup: 1})
            change = sub._subscription_add_addon(self.product_backup)
        # 5.00 - round(5.00 x 10 / 31) = 5.00 - 1.61
        self.assertEqual(preview["amount_untaxed"], 3.39)
        self.assertEqual(change.invoice_ids.amount_total, 4.07)
        self.assertEqual(self._run_engine("2025-02-01").amount_untaxed, 71.0)
        with freeze_time("2025-02-01"):
            removal = sub._subscription_remove_addon(self.product_backup)
        # Removed on the first day of a period just billed: all of it credited.
        self.assertEqual(removal.invoice_ids.move_type, "out_refund")
        self.assertEqual(removal.invoice_ids.amount_untaxed, 5.0)
        self.assertEqual(self._run_engine("2025-03-01").amount_untaxed, 66.0)
        changes = sub.subscription_change_order_count
        cloud_quantity = sub.order_line.filtered(
            lambda line: line.product_id == self.product_cloud
        ).product_uom_qty
        with self.assertRaisesRegex(UserError, "is not an add-on"), self.cr.savepoint():
            sub._subscription_add_addon(self.product_cloud)
            self.env.flush_all()
        self.env.invalidate_all()
        self.assertEqual(sub.subscription_change_order_count, changes)
        self.assertEqual(
            sub.order_line.filtered(
                lambda line: line.product_id == self.product_cloud
            ).product_uom_qty,
            cloud_quantity,
        )

    def test_immediate_cancellation_credits_unused_days(self):
        template = self.template_monthly.copy({"credit_on_close": True})
        sub, first = self._january_subscription(template)
        with freeze_time("2025-01-20"):
            sub.action_subscription_close()
        credit = sub.subscription_invoice_ids.filtered(
            lambda move: move.move_type == "out_refund"
        )
        self.assertEqual(credit.reversed_entry_id, first)
        # 11 of 31 days: 30.00 - 19.35 = 10.65 and 36.00 - 23.23 = 12.77
        self.assertEqual(
            (credit.amount_untaxed, credit.amount_tax, credit.amount_total),
            (23.42, 4.68, 28.10),
        )
        self.assertEqual(sub.subscription_state, "closed")

    def test_proration_policies(self):
        none = self.template_monthly.copy({"proration_policy": "none"})
        full = self.template_monthly.copy({"proration_policy": "full"})
        sub_none, _first = self._january_subscription(none)
        sub_full, _first = self._january_subscription(full)
        with freeze_time("2025-01-11"):
            self.assertFalse(sub_none._subscription_change({self.product_seat: 5}))
            change = sub_full._subscription_change({self.product_seat: 5})
        self.assertEqual(change.invoice_ids.amount_untaxed, 24.0)
        calendar_none = self.template_monthly.copy(
            {"proration_policy": "none", "alignment": "calendar"}
        )
        sub = self._create_subscription("2025-04-21", template=calendar_none)
        moves = self._run_engine("2025-05-01")
        # The first, partial period is not billed; May is.
        self.assertEqual(
            moves.filtered(lambda move: move.subscription_id == sub).mapped(
                "amount_untaxed"
            ),
            [66.0],
        )

    def test_change_in_a_calendar_first_period(self):
        """Postpaid, calendar months, from 15 March: the first invoice bills
        17 of 31 days; seats 3 -> 5 on 20 March owe back 5 of those days."""
        template = self.template_monthly.copy(
            {"invoicing_mode": "postpaid", "alignment": "calendar"}
        )
        sub = self._create_subscription("2025-03-15", template=template)
        with freeze_time("2025-03-20"):
            change = sub._subscription_change({self.product_seat: 5})
        # -(round(24 x 19 / 31) - round(24 x 14 / 31)) = -(14.71 - 10.84)
        self.assertEqual(change.order_line.price_unit, -3.87)
        move = self._run_engine("2025-04-01")
        # 30.00 and 60.00 for 17 of 31 days: 16.45 + 32.90, then -3.87
        self.assertEqual(move.amount_untaxed, 45.48)

    def test_change_keeps_the_subscription_discount(self):
        sub, _first = self._january_subscription()
        sub.order_line.filtered(
            lambda line: line.product_id == self.product_seat
        ).discount = 50.0
        with freeze_time("2025-01-11"):
            change = sub._subscription_change({self.product_seat: 5})
        # Half of 16.26
        self.assertEqual(change.invoice_ids.amount_untaxed, 8.13)
        self.assertEqual(change.order_line.discount, 0.0)

    def test_a_salesman_change_leaves_the_invoice_in_draft(self):
        salesman = self.env["res.users"].create(
            {
                "name": "Sam Seller",
                "login": "sam.seller",
                "email": "sam.seller@nuage-libre.example",
                "company_id": self.company.id,
                "company_ids": [Command.set(self.company.ids)],
                "groups_id": [
                    Command.set(
                        self.env.ref("sales_team.group_sale_salesman_all_leads").ids
                    )
                ],
            }
        )
        sub, _first = self._january_subscription()
        with freeze_time("2025-01-11"):
            change = sub.with_user(salesman)._subscription_change(
                {self.product_seat: 5}
            )
        upsell = change.sudo().invoice_ids
        self.assertEqual(upsell.state, "draft")
        self.assertEqual(upsell.amount_untaxed, 16.26)
        self.assertEqual(upsell.subscription_id, sub)

    def test_bad_changes_are_refused(self):
        sub, _first = self._january_subscription()
        with self.assertRaisesRegex(ValidationError, "cannot be negative"):
            sub._preview_subscription_change({self.product_seat: -1}, date(2025, 1, 5))
        with self.assertRaisesRegex(UserError, "current billing period"):
            sub._preview_subscription_change({self.product_seat: 5}, date(2025, 3, 5))
        with self.assertRaisesRegex(UserError, "not a subscription product"):
            sub._preview_subscription_change({self.product_setup: 1}, date(2025, 1, 5))

    def test_calendar_first_period_is_prorated_by_day(self):
        template = self.template_monthly.copy({"alignment": "calendar"})
        self._create_subscription("2025-01-11", template=template)
        move = self._run_engine("2025-01-11")
        # 21 of 31 days: 30.00 - 9.68 = 20.32 and 36.00 - 11.61 = 24.39
        self.assertEqual(
            sorted(move.invoice_line_ids.mapped("price_subtotal")), [20.32, 24.39]
        )
        self.assertEqual(move.invoice_line_ids.mapped("quantity"), [1.0, 1.0])
        self.assertIn("21 of 31 days", move.invoice_line_ids[1].name)
        self.assertEqual(
            (move.amount_untaxed, move.amount_tax, move.amount_total),
            (44.71, 8.94, 53.65),
        )

    def test_change_wizard_previews_and_applies(self):
        sub, _first = self._january_subscription()
        wizard = (
            self.env["recurring.change"]
            .with_context(default_subscription_id=sub.id)
            .create({"change_date": "2025-01-11"})
        )
        self.assertEqual(
            wizard.line_ids.mapped(
                lambda line: (line.product_id, line.current_quantity)
            ),
            [
                (self.product_cloud, 1.0),
                (self.product_seat, 3.0),
                (self.product_backup, 0.0),
            ],
        )
        seat = wizard.line_ids.filtered(
            lambda line: line.product_id == self.product_seat
        )
        seat.new_quantity = 5
        self.assertEqual(
            (wizard.amount_untaxed, wizard.amount_tax, wizard.amount_total),
            (16.26, 3.25, 19.51),
        )
        self.assertEqual(wizard.preview_note, "Invoiced now.")
        action = wizard.action_apply()
        change = self.env["sale.order"].browse(action["res_id"])
        self.assertEqual(change.subscription_parent_id, sub)
        self.assertEqual(change.invoice_ids.amount_total, 19.51)
        self.assertEqual(sub.subscription_change_order_count, 1)
        late = (
            self.env["recurring.change"]
            .with_context(default_subscription_id=sub.id)
            .create({"change_date": "2025-03-05"})
        )
        late.line_ids[0].new_quantity = 2
        self.assertIn("current billing period", late.preview_note)


@tagged("post_install", "-at_install")
class TestChangePreviewTaxes(RecurringBillingCommon):
    """The preview of a change is the change invoice, to the cent, whatever
    the company's tax rounding and whether prices include the tax."""

    def _january_subscription(self):
        sub = self._create_subscription("2025-01-01")
        first = self._run_engine("2025-01-01")
        self.assertEqual(first.amount_untaxed, 66.0)
        return sub, first

    def _assert_preview_is_invoice(self, sub, quantities, expected):
        preview = sub._preview_subscription_change(quantities, date(2025, 1, 11))
        amounts = (
            preview["amount_untaxed"],
            preview["amount_tax"],
            preview["amount_total"],
        )
        with freeze_time("2025-01-11"):
            change = sub._subscription_change(quantities)
        invoice = change.invoice_ids
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(
            amounts,
            (invoice.amount_untaxed, invoice.amount_tax, invoice.amount_total),
        )
        self.assertEqual(amounts, expected)
        return invoice

    def test_preview_with_global_tax_rounding(self):
        self.company.tax_calculation_rounding_method = "round_globally"
        premium = self._create_product(
            name="Premium hosting",
            type="service",
            lst_price=49.99,
            recurring_invoice=True,
            invoice_policy="order",
        )
        extra = self._create_product(
            name="Extra domain",
            type="service",
            lst_price=1.99,
            recurring_invoice=True,
            invoice_policy="order",
        )
        sub, _first = self._january_subscription()
        # Cloud 30.00 credited for 21 days: -(30.00 - 9.68) = -20.32;
        # Premium 49.99: 49.99 - 16.13 = 33.86; 7 extra domains at 1.99:
        # 13.93 - 4.49 = 9.44; 1 more seat: 12.00 - 3.87 = 8.13.
        invoice = self._assert_preview_is_invoice(
            sub,
            {self.product_cloud: 0, premium: 1, extra: 7, self.product_seat: 4},
            (31.11, 6.22, 37.33),
        )
        self.assertEqual(
            sorted(invoice.invoice_line_ids.mapped("price_subtotal")),
            [-20.32, 8.13, 9.44, 33.86],
        )

    def test_preview_with_price_included_tax(self):
        tax_included = self.tax_20.copy(
            {"name": "TVA 20 % TTC", "price_include_override": "tax_included"}
        )
        product = self._create_product(
            name="Consumer plan (VAT included)",
            type="service",
            lst_price=9.99,
            recurring_invoice=True,
            invoice_policy="order",
            taxes_id=[Command.set(tax_included.ids)],
        )
        sub = self._create_subscription("2025-01-01", lines=[(product, 1)])
        first = self._run_engine("2025-01-01")
        self.assertEqual((first.amount_untaxed, first.amount_total), (8.32, 9.99))
        # 2 more at 9.99 VAT included for 21 of 31 days:
        # 19.98 - round(19.98 x 10 / 31) = 19.98 - 6.45 = 13.53 VAT included,
        # 11.27 before VAT (13.53 / 1.2 = 11.275, rounded as Odoo does).
        invoice = self._assert_preview_is_invoice(
            sub, {product: 3}, (11.27, 2.26, 13.53)
        )
        self.assertEqual(invoice.invoice_line_ids.price_total, 13.53)
