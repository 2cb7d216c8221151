# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import RecurringDunningCommon


@tagged("post_install", "-at_install")
class TestRecurringDunningLevel(RecurringDunningCommon):
    def _create_level(self, name, sequence, delay_days, company=None):
        return self.env["recurring.dunning.level"].create(
            {
                "name": name,
                "sequence": sequence,
                "delay_days": delay_days,
                "company_id": (company or self.env.company).id,
            }
        )

    def _company_levels(self):
        """The levels of the test company, from the database."""
        self.env.invalidate_all()
        return self.env["recurring.dunning.level"].search(
            [("company_id", "=", self.env.company.id)]
        )

    def _assert_levels_unchanged(self):
        """The three levels of the set-up, in their order, and no other."""
        self.assertEqual(self._company_levels(), self.levels)
        self.assertEqual(
            [(level.sequence, level.delay_days) for level in self.levels],
            [(10, 3), (20, 10), (30, 20)],
        )

    def test_default_company_is_current_company(self):
        level = self.env["recurring.dunning.level"].create(
            {"name": "Late", "sequence": 40, "delay_days": 30}
        )
        self.assertEqual(level.company_id, self.env.company)

    def test_negative_delay_refused(self):
        with (
            self.assertRaisesRegex(ValidationError, "cannot be negative"),
            self.cr.savepoint(),
        ):
            self._create_level("Before due", 1, -1)
            self.env.flush_all()
        self._assert_levels_unchanged()

    def test_zero_delay_accepted(self):
        level = self._create_level("On due date", 1, 0)
        self.assertEqual(level.delay_days, 0)

    def test_delay_must_increase_with_sequence(self):
        # Each refused change is rolled back before the next one, so each
        # refusal is due to its own change only.
        # After "Suspend" (D+20) in the order, but waiting less.
        with (
            self.assertRaisesRegex(ValidationError, "must therefore wait more days"),
            self.cr.savepoint(),
        ):
            self._create_level("Last call", 40, 15)
            self.env.flush_all()
        self._assert_levels_unchanged()
        # Moving "Retry" (D+10) before "Reminder" (D+3).
        with (
            self.assertRaisesRegex(ValidationError, "must therefore wait more days"),
            self.cr.savepoint(),
        ):
            self.level_retry.sequence = 5
            self.env.flush_all()
        self._assert_levels_unchanged()
        # Shortening "Suspend" to less than "Retry".
        with (
            self.assertRaisesRegex(ValidationError, "must therefore wait more days"),
            self.cr.savepoint(),
        ):
            self.level_suspend.delay_days = 8
            self.env.flush_all()
        self._assert_levels_unchanged()

    def test_level_inserted_in_order_accepted(self):
        level = self._create_level("Second reminder", 15, 5)
        self.assertEqual(
            self.env["recurring.dunning.level"]
            .search([("company_id", "=", self.env.company.id)])
            .mapped("delay_days"),
            [3, 5, 10, 20],
        )
        self.assertIn(level, self.env["recurring.dunning.level"].search([]))

    def test_equal_sequences_ordered_by_delay(self):
        (self.levels | self._create_level("Late", 40, 30)).sequence = 10
        self.assertEqual(
            self.env["recurring.dunning.level"]
            .search([("company_id", "=", self.env.company.id)])
            .mapped("delay_days"),
            [3, 10, 20, 30],
        )

    def test_archived_level_ignored_by_order_check(self):
        self.level_retry.active = False
        level = self._create_level("Second reminder", 25, 7)
        self.assertEqual(
            self._company_levels(), self.level_reminder | level | self.level_suspend
        )
        with (
            self.assertRaisesRegex(ValidationError, "must therefore wait more days"),
            self.cr.savepoint(),
        ):
            self.level_retry.active = True
            self.env.flush_all()
        self.assertEqual(
            self._company_levels(), self.level_reminder | level | self.level_suspend
        )
        self.assertFalse(self.level_retry.active)

    @mute_logger("odoo.sql_db")
    def test_duplicate_delay_refused(self):
        with self.assertRaises(IntegrityError):
            self._create_level("Retry again", 25, 10)
            self.env.flush_all()
        self._assert_levels_unchanged()

    def test_levels_isolated_per_company(self):
        company_2 = self.setup_other_company()["company"]
        # Same delays as the first company, and an order that would clash
        # with its levels if both companies were checked together.
        levels_2 = self._create_levels(company_2)
        early_2 = self._create_level("Early", 1, 1, company=company_2)
        self.assertEqual(levels_2.mapped("delay_days"), [3, 10, 20])

        level_model = self.env["recurring.dunning.level"]
        self.assertFalse(self.env.su)
        self.assertEqual(
            level_model.with_context(allowed_company_ids=company_2.ids).search([]),
            early_2 | levels_2,
        )
        self.assertEqual(
            level_model.with_context(allowed_company_ids=self.env.company.ids).search(
                []
            ),
            self.levels,
        )

    def test_billing_user_reads_only(self):
        billing_user = new_test_user(
            self.env,
            login="dunning_billing_user",
            groups="account.group_account_invoice",
            company_id=self.env.company.id,
        )
        levels = self.env["recurring.dunning.level"].with_user(billing_user)
        self.assertEqual(levels.search([]), self.levels)
        with self.assertRaises(AccessError):
            levels.create({"name": "Late", "sequence": 40, "delay_days": 30})
            self.env.flush_all()
        self._assert_levels_unchanged()
        with self.assertRaises(AccessError):
            self.level_reminder.with_user(billing_user).delay_days = 4
            self.env.flush_all()
        self._assert_levels_unchanged()
