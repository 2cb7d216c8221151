# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import RecurringDunningCommon


@tagged("post_install", "-at_install")
class TestDunningPolicy(RecurringDunningCommon):
    def _policy(self, steps, **vals):
        return self.env["recurring.dunning.policy"].create(
            {
                "name": "Test policy",
                "company_id": self.company.id,
                "payment_mode": "manual",
                "step_ids": [
                    Command.create({"name": f"Step {i}", "sequence": i, **step_vals})
                    for i, step_vals in enumerate(steps)
                ],
                **vals,
            }
        )

    def assertRefused(self, message, steps, **vals):
        with self.assertRaisesRegex(ValidationError, message):
            with self.env.cr.savepoint():
                self._policy(steps, **vals)
                self.env.flush_all()

    def test_default_policies_for_every_company(self):
        self.assertEqual(
            self.policy_auto.step_ids.sorted().mapped("delay_days"),
            [1, 3, 7, 14, 18, 21, 25, 30, 45],
        )
        retries = self.policy_auto.step_ids.filtered(lambda s: s.action == "retry")
        self.assertEqual(retries.mapped("silent"), [True, True, False, False])
        self.assertEqual(
            self.policy_manual.step_ids.sorted().mapped("action"),
            ["email", "email", "email", "suspend", "pause", "notice", "close"],
        )
        self.assertTrue(all(self.policy_manual.step_ids.mail_template_id))
        new_company = self.env["res.company"].create({"name": "Nouvelle SAS"})
        policies = self.env["recurring.dunning.policy"].search(
            [("company_id", "=", new_company.id)]
        )
        self.assertEqual(sorted(policies.mapped("payment_mode")), ["auto", "manual"])
        main = self.env.ref("base.main_company")
        self.assertEqual(
            self.env["recurring.dunning.policy"]
            .sudo()
            .search_count([("company_id", "=", main.id)]),
            2,
        )

    def test_bad_policies_are_refused(self):
        self.assertRefused("has no step", [])
        self.assertRefused(
            "earlier in time",
            [
                {"delay_days": 5, "action": "email"},
                {"delay_days": 3, "action": "email"},
            ],
        )
        self.assertRefused(
            "twice on the same day",
            [
                {"delay_days": 3, "action": "retry"},
                {"delay_days": 3, "action": "retry"},
            ],
        )
        self.assertRefused(
            "cannot be negative", [{"delay_days": -1, "action": "email"}]
        )
        self.assertRefused(
            "before any email",
            [
                {"delay_days": 1, "action": "retry", "silent": True},
                {"delay_days": 3, "action": "suspend"},
            ],
        )
        # Allowed when the policy says so.
        policy = self._policy(
            [{"delay_days": 3, "action": "suspend"}], reminder_before_suspension=False
        )
        self.assertEqual(policy.step_count, 1)
        self.assertRefused("at most twice", [{"delay_days": 1}], sepa_max_retries=3)
        other_model = self.env.ref("recurring_billing.mail_template_card_expiry")
        self.assertNotEqual(other_model.model, "account.move")
        self.assertRefused(
            "template of invoices",
            [{"delay_days": 1, "action": "email", "mail_template_id": other_model.id}],
        )
        # Editing a valid policy into a bad one is refused too.
        with self.assertRaisesRegex(ValidationError, "earlier in time"):
            with self.env.cr.savepoint():
                self.policy_manual.step_ids.sorted()[1].delay_days = 1

    def test_policy_choice(self):
        invoice = self._invoice(self._create_subscription("2026-01-05"))
        Policy = self.env["recurring.dunning.policy"]
        self.assertEqual(Policy._get_policy_for(invoice), self.policy_manual)
        for_template = self.policy_manual.copy(
            {
                "name": "For template",
                "template_ids": [Command.set(self.template_monthly.ids)],
            }
        )
        self.assertEqual(Policy._get_policy_for(invoice), for_template)
        for_customer = self.policy_manual.copy(
            {"name": "For customer", "partner_ids": [Command.set(self.customer.ids)]}
        )
        self.assertEqual(Policy._get_policy_for(invoice), for_customer)
        for_customer.partner_ids = self.partner_a
        self.assertEqual(Policy._get_policy_for(invoice), for_template)

    def test_only_accounting_administrators_edit_policies(self):
        billing = new_test_user(
            self.env,
            login="dunning_biller",
            groups="account.group_account_invoice",
            company_id=self.company.id,
        )
        admin = new_test_user(
            self.env,
            login="dunning_admin",
            groups="account.group_account_manager",
            company_id=self.company.id,
        )
        self.assertTrue(self.policy_manual.with_user(billing).step_ids)
        with self.assertRaises(AccessError):
            self.policy_manual.with_user(billing).name = "Mine"
        self.policy_manual.with_user(admin).step_ids.sorted()[0].delay_days = 2
        self.assertEqual(self.policy_manual.step_ids.sorted()[0].delay_days, 2)

    def test_policies_of_another_company_are_hidden(self):
        other = self.env["res.company"].create({"name": "Autre SAS"})
        admin = new_test_user(
            self.env,
            login="dunning_admin_other",
            groups="account.group_account_manager",
            company_id=self.company.id,
        )
        policies = self.env["recurring.dunning.policy"].with_user(admin).search([])
        self.assertNotIn(other, policies.company_id)
        self.assertIn(self.company, policies.company_id)
