# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import RecurringBillingCommon


@tagged("post_install", "-at_install")
class TestMultiCompany(RecurringBillingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b_data = cls.setup_other_company(name="Nuage Belgique")
        cls.company_b = cls.company_b_data["company"]
        cls.tax_b = cls.company_b_data["default_tax_sale"]
        (cls.product_cloud + cls.product_seat).write(
            {"taxes_id": [Command.link(cls.tax_b.id)]}
        )
        cls.env.user.company_ids |= cls.company_b
        cls.sub_a = cls._create_subscription("2025-01-01")
        cls.sub_b = cls._create_subscription("2025-01-01", company_id=cls.company_b.id)

    def test_each_company_bills_with_its_own_books(self):
        moves = self._run_engine("2025-01-01")
        move_a = moves.filtered(lambda m: m.subscription_id == self.sub_a)
        move_b = moves.filtered(lambda m: m.subscription_id == self.sub_b)
        self.assertEqual(move_a.company_id, self.company)
        self.assertEqual(move_b.company_id, self.company_b)
        self.assertEqual(move_a.journal_id, self.company_data["default_journal_sale"])
        self.assertEqual(move_b.journal_id, self.company_b_data["default_journal_sale"])
        self.assertEqual(move_b.invoice_line_ids.tax_ids, self.tax_b)
        self.assertEqual(move_a.invoice_line_ids.tax_ids, self.tax_20)
        self.assertEqual(move_b.currency_id, self.company_b.currency_id)
        self.assertEqual(move_b.amount_total, 79.2)
        # Two sequences: each company numbers its own invoices.
        self.assertNotEqual(move_a.journal_id.company_id, move_b.journal_id.company_id)
        self.assertTrue(move_a.name and move_b.name)

    def test_users_see_only_their_companies(self):
        user_a = new_test_user(
            self.env,
            login="sales_a",
            groups="sales_team.group_sale_salesman_all_leads",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        SaleOrder = self.env["sale.order"].with_user(user_a)
        visible = SaleOrder.search([("is_subscription", "=", True)])
        self.assertIn(self.sub_a, visible)
        self.assertNotIn(self.sub_b, visible)
        with self.assertRaises(AccessError):
            self.sub_b.with_user(user_a).read(["name"])
        template_b = self.template_monthly.copy({"company_id": self.company_b.id})
        self.assertNotIn(
            template_b,
            self.env["sale.order.template"].with_user(user_a).search([]),
        )

    def test_today_is_the_company_date_whoever_asks(self):
        """A French company without a time zone of its own is on Paris time,
        for the job (no time zone) and for a user in Auckland alike."""
        self.company.partner_id.tz = False
        self.assertEqual(self.company.partner_id.country_id.code, "FR")
        user = self._create_role_user("salesman", "rb_auckland", tz="Pacific/Auckland")
        # 23:30 UTC on 31 March: 1 April in Paris, 1 April midday in Auckland.
        with freeze_time("2025-03-31 23:30:00"):
            self.assertEqual(self.company._get_today(), date(2025, 4, 1))
            self.assertEqual(
                self.company.with_user(user).with_context(tz="UTC")._get_today(),
                date(2025, 4, 1),
            )
        # 21:30 UTC on 31 March: 23:30 in Paris (summer time), whoever asks.
        with freeze_time("2025-03-31 21:30:00"):
            self.assertEqual(
                self.company.with_user(user)._get_today(), date(2025, 3, 31)
            )
        self.company_b.partner_id.tz = False
        self.company_b.partner_id.country_id = False
        with freeze_time("2025-03-31 23:30:00"):
            self.assertEqual(self.company_b._get_today(), date(2025, 3, 31))

    def test_today_is_each_company_local_date(self):
        """At 12:00 UTC on 31 March it is already 1 April in Auckland."""
        self.company.partner_id.tz = "Pacific/Auckland"
        self.company_b.partner_id.tz = "America/Los_Angeles"
        sub_a = self._create_subscription("2025-04-01")
        sub_b = self._create_subscription("2025-04-01", company_id=self.company_b.id)
        with freeze_time("2025-03-31 12:00:00"):
            self.assertEqual(sub_a.company_id._get_today(), date(2025, 4, 1))
            self.assertEqual(sub_b.company_id._get_today(), date(2025, 3, 31))
        moves = self._run_engine("2025-03-31 12:00:00")
        self.assertIn(sub_a, moves.subscription_id)
        self.assertNotIn(sub_b, moves.subscription_id)
