# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date

from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import RecurringBillingCommon


@tagged("post_install", "-at_install")
class TestRecurringInvoicing(RecurringBillingCommon):
    def test_prepaid_monthly_invoice_amounts_and_period(self):
        sub = self._create_subscription("2025-03-10")
        self.assertEqual(sub.subscription_state, "active")
        self.assertEqual(sub.next_invoice_date, date(2025, 3, 10))
        moves = self._run_engine("2025-03-10")
        self.assertEqual(len(moves), 1)
        self.assertRecordValues(
            moves,
            [
                {
                    "state": "posted",
                    "move_type": "out_invoice",
                    "partner_id": self.customer.id,
                    "subscription_id": sub.id,
                    "invoice_date": date(2025, 3, 10),
                    "subscription_period_start": date(2025, 3, 10),
                    "subscription_period_end": date(2025, 4, 9),
                    "amount_untaxed": 66.0,
                    "amount_tax": 13.2,
                    "amount_total": 79.2,
                    "invoice_origin": sub.name,
                }
            ],
        )
        lines = moves.invoice_line_ids.sorted("sequence")
        self.assertEqual(lines.mapped("quantity"), [1.0, 3.0])
        self.assertEqual(lines.mapped("price_subtotal"), [30.0, 36.0])
        self.assertEqual(set(lines.mapped("start_date")), {date(2025, 3, 10)})
        self.assertEqual(set(lines.mapped("end_date")), {date(2025, 4, 9)})
        self.assertEqual(lines.sale_line_ids, sub.order_line)
        self.assertEqual(sub.next_invoice_date, date(2025, 4, 10))
        self.assertEqual(sub.subscription_invoice_count, 1)
        # Nothing more is due the same month.
        self.assertFalse(self._run_engine("2025-04-09"))

    def test_postpaid_bills_the_period_just_ended(self):
        template = self.template_monthly.copy({"invoicing_mode": "postpaid"})
        sub = self._create_subscription("2025-01-01", template=template)
        self.assertEqual(sub.next_invoice_date, date(2025, 2, 1))
        self.assertFalse(self._run_engine("2025-01-31"))
        moves = self._run_engine("2025-02-01")
        self.assertPeriods(moves, [("2025-02-01", "2025-01-01", "2025-01-31")])
        self.assertEqual(moves.amount_total, 79.2)
        self.assertEqual(sub.next_invoice_date, date(2025, 3, 1))

    def test_month_end_subscription_periods(self):
        sub = self._create_subscription("2025-01-31")
        moves = self._run_engine("2025-04-01")
        self.assertPeriods(
            moves,
            [
                ("2025-04-01", "2025-01-31", "2025-02-27"),
                ("2025-04-01", "2025-02-28", "2025-03-30"),
                ("2025-04-01", "2025-03-31", "2025-04-29"),
            ],
        )
        self.assertEqual(sub.next_invoice_date, date(2025, 4, 30))

    def test_catch_up_three_missed_months_in_order(self):
        sub = self._create_subscription("2025-08-01")
        moves = self._run_engine("2025-11-15")
        # Each caught-up invoice is dated the day it is issued; its billing
        # period says which month it covers.
        self.assertPeriods(
            moves,
            [
                ("2025-11-15", "2025-08-01", "2025-08-31"),
                ("2025-11-15", "2025-09-01", "2025-09-30"),
                ("2025-11-15", "2025-10-01", "2025-10-31"),
                ("2025-11-15", "2025-11-01", "2025-11-30"),
            ],
        )
        # Sequence numbers follow the periods.
        ordered = moves.sorted(lambda move: (move.invoice_date, move.id))
        self.assertEqual(ordered.mapped("name"), sorted(ordered.mapped("name")))
        self.assertEqual(sub.next_invoice_date, date(2025, 12, 1))
        self.assertEqual(sum(moves.mapped("amount_total")), 4 * 79.2)
        # Due from the day of issue (no payment terms: that day), not from a
        # day already past.
        self.assertEqual(ordered.mapped("invoice_date_due"), [date(2025, 11, 15)] * 4)
        self.assertEqual(sub.recurring_amount_untaxed, 66.0)

    def test_batch_numbers_invoices_in_date_order(self):
        """A batch creates and posts many subscriptions' invoices together:
        numbers still follow invoice dates across subscriptions."""
        early = self._create_subscription("2025-08-01")
        late = self._create_subscription("2025-09-15")
        moves = self._run_engine("2025-10-20")
        self.assertEqual(len(moves.filtered(lambda m: m.subscription_id == early)), 3)
        self.assertEqual(len(moves.filtered(lambda m: m.subscription_id == late)), 2)
        self.assertEqual(set(moves.mapped("state")), {"posted"})
        # All issued on the day of the run: numbers follow dates, unbroken.
        by_number = moves.sorted("sequence_number")
        self.assertEqual(
            [move.invoice_date for move in by_number], [date(2025, 10, 20)] * 5
        )
        numbers = by_number.mapped("sequence_number")
        self.assertEqual(numbers, list(range(numbers[0], numbers[0] + 5)))
        self.assertEqual(
            sorted(moves.mapped("subscription_period_start")),
            [
                date(2025, 8, 1),
                date(2025, 9, 1),
                date(2025, 9, 15),
                date(2025, 10, 1),
                date(2025, 10, 15),
            ],
        )
        self.assertEqual(early.next_invoice_date, date(2025, 11, 1))
        self.assertEqual(late.next_invoice_date, date(2025, 11, 15))
        self.assertEqual(round(sum(moves.mapped("amount_total")), 2), 396.0)

    def test_payment_terms_set_the_due_date(self):
        template = self.template_monthly.copy(
            {"payment_term_id": self.env.ref("account.account_payment_term_30days").id}
        )
        sub = self._create_subscription("2025-01-10", template=template)
        self.assertEqual(sub.payment_term_id, template.payment_term_id)
        move = self._run_engine("2025-01-10")
        self.assertEqual(move.invoice_date_due, date(2025, 2, 9))

    def test_double_run_creates_no_duplicate(self):
        sub = self._create_subscription("2025-05-05")
        first = self._run_engine("2025-07-05")
        second = self._run_engine("2025-07-05")
        self.assertEqual(len(first), 3)
        self.assertFalse(second)
        self.assertEqual(sub.subscription_invoice_count, 3)

    @mute_logger("odoo.sql_db")
    def test_database_refuses_a_second_invoice_for_a_period(self):
        sub = self._create_subscription("2025-05-05")
        move = self._run_engine("2025-05-05")
        vals = sub._prepare_recurring_invoice_vals(
            date(2025, 5, 5), date(2025, 5, 5), date(2025, 6, 4)
        )
        period_domain = [
            ("subscription_id", "=", sub.id),
            ("subscription_period_start", "=", date(2025, 5, 5)),
        ]
        with self.assertRaises(IntegrityError):
            self.env["account.move"].create(vals)
            self.env.flush_all()
        self.assertEqual(self.env["account.move"].search(period_domain), move)
        # A cancelled invoice frees its period: it can be billed again.
        move.button_draft()
        move.button_cancel()
        self.assertEqual(move.state, "cancel")
        move.flush_recordset()
        again = self.env["account.move"].create(vals)
        self.assertEqual(again.subscription_period_start, date(2025, 5, 5))

    def test_one_failing_subscription_does_not_block_others(self):
        good_1 = self._create_subscription("2025-06-01")
        broken_product = self._create_product(
            name="Legacy plan",
            type="service",
            lst_price=50.0,
            recurring_invoice=True,
            invoice_policy="order",
            property_account_income_id=self.copy_account(
                self.company_data["default_account_revenue"]
            ).id,
        )
        broken = self._create_subscription("2025-06-01", lines=[(broken_product, 1)])
        good_2 = self._create_subscription("2025-06-01")
        broken_product.property_account_income_id.deprecated = True

        moves = self._run_engine("2025-06-01")
        self.assertEqual(moves.subscription_id, good_1 + good_2)
        self.assertEqual(len(moves), 2)
        self.assertFalse(broken.subscription_invoice_ids)
        self.assertIn("deprecated", broken.recurring_billing_error)
        self.assertEqual(broken.next_invoice_date, date(2025, 6, 1))
        activity = broken.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.summary, "Recurring invoicing failed")
        # Flagged: the next run leaves it alone, until someone clears the error.
        self.assertFalse(self._run_engine("2025-06-02"))
        broken_product.property_account_income_id.deprecated = False
        broken.action_recurring_clear_error()
        retried = self._run_engine("2025-06-02")
        self.assertEqual(retried.subscription_id, broken)
        self.assertEqual(retried.amount_total, 60.0)

    def test_archived_product_is_flagged_not_invoiced(self):
        sub = self._create_subscription("2025-06-01")
        self.product_seat.active = False
        self.assertFalse(self._run_engine("2025-06-01"))
        self.assertIn("archived", sub.recurring_billing_error)
        self.assertIn("User seat", sub.recurring_billing_error)

    def test_one_off_lines_go_on_the_first_invoice_only(self):
        sub = self._create_subscription(
            "2025-01-10", lines=[(self.product_cloud, 1), (self.product_setup, 1)]
        )
        moves = self._run_engine("2025-02-10").sorted("invoice_date")
        self.assertEqual(len(moves), 2)
        self.assertEqual(moves[0].amount_untaxed, 130.0)
        self.assertEqual(moves[1].amount_untaxed, 30.0)
        self.assertEqual(
            moves[0]
            .invoice_line_ids.filtered(
                lambda line: line.product_id == self.product_setup
            )
            .start_date,
            False,
        )
        # The sales "Create Invoice" flow has nothing left to invoice.
        self.assertEqual(sub.invoice_status, "invoiced")
        self.assertEqual(sub.order_line.mapped("qty_to_invoice"), [0.0, 0.0])

    def test_calendar_alignment_prorates_the_first_period(self):
        template = self.template_monthly.copy({"alignment": "calendar"})
        sub = self._create_subscription(
            "2025-04-21", template=template, lines=[(self.product_cloud, 1)]
        )
        moves = self._run_engine("2025-05-01")
        self.assertPeriods(
            moves,
            [
                ("2025-05-01", "2025-04-21", "2025-04-30"),
                ("2025-05-01", "2025-05-01", "2025-05-31"),
            ],
        )
        first, second = moves.sorted("subscription_period_start")
        # 10 days of 30: 30.00 x 10 / 30 = 10.00 excl. VAT.
        self.assertEqual(first.amount_untaxed, 10.0)
        self.assertEqual(first.amount_total, 12.0)
        self.assertEqual(second.amount_untaxed, 30.0)
        self.assertEqual(sub.next_invoice_date, date(2025, 6, 1))

    def test_every_two_weeks_calendar_aligned(self):
        """Every two weeks, calendar-aligned, from Friday 14 February 2025:
        the 3 days to the next two-week Monday (17 February) prorated over 14,
        then two weeks per invoice, not one."""
        plan = self.env["recurring.plan"].create(
            {
                "name": "Every 2 weeks",
                "billing_period_value": 2,
                "billing_period_unit": "week",
            }
        )
        template = self.template_monthly.copy(
            {"plan_id": plan.id, "alignment": "calendar"}
        )
        sub = self._create_subscription(
            "2025-02-14", template=template, lines=[(self.product_cloud, 1)]
        )
        moves = (
            self._run_engine("2025-02-14")
            | self._run_engine("2025-02-17")
            | self._run_engine("2025-03-03")
        )
        self.assertPeriods(
            moves,
            [
                ("2025-02-14", "2025-02-14", "2025-02-16"),
                ("2025-02-17", "2025-02-17", "2025-03-02"),
                ("2025-03-03", "2025-03-03", "2025-03-16"),
            ],
        )
        # 30.00 x 3 / 14 = 6.43, then 30.00 per two weeks.
        self.assertEqual(
            moves.sorted("subscription_period_start").mapped("amount_untaxed"),
            [6.43, 30.0, 30.0],
        )
        self.assertEqual(sub.next_invoice_date, date(2025, 3, 17))

    def test_quarterly_postpaid_calendar(self):
        template = self.template_monthly.copy(
            {
                "plan_id": self.plan_quarterly.id,
                "invoicing_mode": "postpaid",
                "alignment": "calendar",
            }
        )
        sub = self._create_subscription(
            "2025-01-01", template=template, lines=[(self.product_cloud, 2)]
        )
        self.assertEqual(sub.next_invoice_date, date(2025, 4, 1))
        moves = self._run_engine("2025-07-01")
        self.assertPeriods(
            moves,
            [
                ("2025-07-01", "2025-01-01", "2025-03-31"),
                ("2025-07-01", "2025-04-01", "2025-06-30"),
            ],
        )
        self.assertEqual(moves.mapped("amount_untaxed"), [60.0, 60.0])

    def test_draft_invoices_when_auto_post_is_off(self):
        template = self.template_monthly.copy({"auto_post": False})
        self._create_subscription("2025-01-01", template=template)
        moves = self._run_engine("2025-01-01")
        self.assertEqual(moves.mapped("state"), ["draft"])

    def test_bad_input_is_refused(self):
        SaleOrder = self.env["sale.order"]
        Template = self.env["sale.order.template"]
        orders = SaleOrder.search_count([])
        templates = Template.search_count([])
        with (
            self.assertRaisesRegex(UserError, "no subscription product"),
            self.cr.savepoint(),
        ):
            self._create_subscription("2025-01-01", lines=[(self.product_setup, 1)])
            self.env.flush_all()
        self.assertEqual(SaleOrder.search_count([]), orders)
        with self.assertRaisesRegex(ValidationError, "cannot end"), self.cr.savepoint():
            self._create_subscription(
                "2025-01-01", subscription_end_date="2024-12-31", confirm=False
            )
            self.env.flush_all()
        self.assertEqual(SaleOrder.search_count([]), orders)
        with self.assertRaisesRegex(ValidationError, "negative"), self.cr.savepoint():
            self.template_monthly.copy({"trial_days": -1})
            self.env.flush_all()
        self.assertEqual(Template.search_count([]), templates)
        template_line = self.template_monthly.copy().sale_order_template_line_ids[0]
        with (
            self.assertRaisesRegex(ValidationError, "negative quantity"),
            self.cr.savepoint(),
        ):
            template_line.product_uom_qty = -2
            template_line.flush_recordset()
        template_line.invalidate_recordset()
        self.assertEqual(template_line.product_uom_qty, 1.0)
        templates = Template.search_count([])
        with (
            self.assertRaisesRegex(ValidationError, "at least one month"),
            self.cr.savepoint(),
        ):
            self.template_monthly.copy({"term_type": "fixed", "term_duration": 0})
            self.env.flush_all()
        self.assertEqual(Template.search_count([]), templates)

    def test_currency_must_match_the_pricelist(self):
        pricelist = self.env["product.pricelist"].create(
            {"name": "EUR list", "currency_id": self.company.currency_id.id}
        )
        order = self._create_subscription(
            "2025-01-01", confirm=False, pricelist_id=pricelist.id
        )
        order.currency_id = self.env.ref("base.USD")
        # assertRaisesRegex, unlike Odoo's assertRaises, adds no savepoint.
        with (
            self.assertRaisesRegex(UserError, "pricelist is in EUR"),
            self.cr.savepoint(),
        ):
            order.action_confirm()
        order.invalidate_recordset()
        self.assertEqual(order.state, "draft")
        self.assertFalse(order.subscription_state)

    def test_template_fills_the_order(self):
        template = self.template_monthly.copy(
            {
                "company_id": self.company.id,
                "payment_term_id": self.pay_terms_b.id,
                "journal_id": self.company_data["default_journal_sale"].id,
            }
        )
        order = self.env["sale.order"].new(
            {"partner_id": self.customer.id, "sale_order_template_id": template.id}
        )
        order._onchange_sale_order_template_id()
        self.assertEqual(order.recurring_plan_id, self.plan_monthly)
        self.assertTrue(order.is_subscription)
        self.assertEqual(order.payment_term_id, self.pay_terms_b)
        self.assertEqual(
            order.order_line.product_id, self.product_cloud + self.product_seat
        )
        self.assertEqual(order.order_line.mapped("product_uom_qty"), [1.0, 3.0])

    def test_progress_is_reported_per_batch(self):
        for _i in range(5):
            self._create_subscription("2025-01-01")
        progress = self.env["ir.cron.progress"].create(
            {
                "cron_id": self.env.ref(
                    "recurring_billing.ir_cron_recurring_invoice"
                ).id,
                "remaining": 0,
                "done": 0,
            }
        )
        Invoicing = self.env["recurring.invoicing"].with_context(
            ir_cron_progress_id=progress.id
        )
        with freeze_time("2025-01-01"):
            moves = Invoicing._cron_recurring_invoice(batch_size=2)
        self.assertEqual(len(moves), 2)
        self.assertEqual((progress.done, progress.remaining), (2, 3))
        with freeze_time("2025-01-01"):
            Invoicing._cron_recurring_invoice(batch_size=2)
            Invoicing._cron_recurring_invoice(batch_size=2)
        self.assertEqual((progress.done, progress.remaining), (1, 0))

    def test_batch_records_what_odoo_records_for_each_invoice(self):
        """The job creates and posts a batch at once: each invoice still gets
        what Odoo's own creation and posting give an invoice (creation entry,
        customer as follower, checked, delivery date, tracked changes,
        customer rank)."""
        # With the chatter, which the invoicing tests' environment turns off.
        self.env = self.env(
            context=dict(
                self.env.context,
                tracking_disable=False,
                mail_create_nolog=False,
                mail_create_nosubscribe=False,
                mail_notrack=False,
            )
        )
        other = self.customer.copy({"name": "Fromagerie Durand"})
        ranks = {partner: partner.customer_rank for partner in (self.customer, other)}
        self._create_subscription("2025-08-01")
        self._create_subscription("2025-08-01", partner_id=other.id)
        self._create_subscription("2025-09-01")
        moves = self._run_engine("2025-09-01")
        # Odoo's own creation and posting of one invoice, to compare with.
        plain = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": other.id,
                "invoice_date": "2025-09-01",
                "invoice_line_ids": [
                    Command.create(
                        {"product_id": self.product_cloud.id, "price_unit": 30.0}
                    )
                ],
            }
        )
        plain.action_post()
        self.env.flush_all()
        self.env.cr.precommit.run()  # tracking values, as at commit
        self.assertEqual(len(moves), 5)
        created = self.env.ref("account.mt_invoice_created")

        def recorded(move):
            follower = move.message_follower_ids.filtered(
                lambda f: f.partner_id == move.partner_id
            )
            creation = move.message_ids.filtered(lambda m: m.subtype_id == created)
            return {
                "state": move.state,
                "checked": move.checked,
                "delivery_date": move.delivery_date == move.invoice_date,
                "followers": len(follower),
                "follower_subtypes": follower.subtype_ids,
                "creation": [(m.body, m.author_id, m.message_type) for m in creation],
                "tracked": set(
                    move.message_ids.tracking_value_ids.field_id.mapped("name")
                ),
            }

        expected = recorded(plain)
        self.assertEqual(expected["state"], "posted")
        self.assertTrue(expected["checked"] and expected["delivery_date"])
        self.assertEqual(expected["followers"], 1)
        self.assertEqual(len(expected["creation"]), 1)
        for move in moves:
            self.assertEqual(recorded(move), expected, move.name)
        # 3 invoices to the customer, 2 + the plain one to the other.
        self.assertEqual(self.customer.customer_rank, ranks[self.customer] + 3)
        self.assertEqual(other.customer_rank, ranks[other] + 3)


@tagged("post_install", "-at_install")
class TestPlanPrices(RecurringBillingCommon):
    def test_yearly_price_differs_from_twelve_months(self):
        self.env["recurring.product.price"].create(
            {
                "product_tmpl_id": self.product_cloud.product_tmpl_id.id,
                "plan_id": self.plan_yearly.id,
                "price": 300.0,
            }
        )
        yearly = self.template_monthly.copy({"plan_id": self.plan_yearly.id})
        sub = self._create_subscription("2025-01-01", template=yearly)
        lines = sub.order_line.sorted("sequence")
        # Cloud has a yearly price; the seat has none and keeps its sales price.
        self.assertEqual(lines.mapped("price_unit"), [300.0, 12.0])
        move = self._run_engine("2025-01-01")
        self.assertEqual(move.amount_untaxed, 336.0)
        self.assertEqual(move.amount_total, 403.2)
        self.assertPeriods(move, [("2025-01-01", "2025-01-01", "2025-12-31")])
        # A monthly subscription still pays the monthly sales price.
        monthly = self._create_subscription("2025-01-01")
        self.assertEqual(
            monthly.order_line.sorted("sequence").mapped("price_unit"), [30.0, 12.0]
        )

    def test_company_price_wins_and_duplicates_are_refused(self):
        Price = self.env["recurring.product.price"]
        tmpl = self.product_cloud.product_tmpl_id
        Price.create(
            {"product_tmpl_id": tmpl.id, "plan_id": self.plan_yearly.id, "price": 300.0}
        )
        Price.create(
            {
                "product_tmpl_id": tmpl.id,
                "plan_id": self.plan_yearly.id,
                "price": 280.0,
                "company_id": self.company.id,
            }
        )
        prices = Price._get_plan_prices(tmpl, self.plan_yearly, self.company)
        self.assertEqual(prices[tmpl].price, 280.0)
        prices = Price.search([("product_tmpl_id", "=", tmpl.id)])
        self.assertEqual(sorted(prices.mapped("price")), [280.0, 300.0])
        # The database's refusal, as a clear message.
        with (
            self.assertRaisesRegex(ValidationError, "already has a price on this plan"),
            self.cr.savepoint(),
        ):
            Price.create(
                {
                    "product_tmpl_id": tmpl.id,
                    "plan_id": self.plan_yearly.id,
                    "price": 310.0,
                }
            )
            self.env.flush_all()
        self.assertEqual(Price.search([("product_tmpl_id", "=", tmpl.id)]), prices)
        with self.assertRaisesRegex(ValidationError, "negative"), self.cr.savepoint():
            Price.create(
                {
                    "product_tmpl_id": tmpl.id,
                    "plan_id": self.plan_monthly.id,
                    "price": -1.0,
                }
            )
            self.env.flush_all()
        self.assertEqual(Price.search([("product_tmpl_id", "=", tmpl.id)]), prices)


@tagged("post_install", "-at_install")
class TestInvoiceReport(RecurringBillingCommon):
    def test_billing_period_is_printed(self):
        self._create_subscription("2025-03-10")
        move = self._run_engine("2025-03-10")
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("account.report_invoice_with_payments", move.ids)[0]
            .decode()
        )
        self.assertIn("Billing Period", html)
        self.assertEqual(html.count("Service period:"), 2)
        self.assertIn("03/10/2025", html)
        self.assertIn("04/09/2025", html)
