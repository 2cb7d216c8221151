# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The core's groups of subscription states, with ``suspended`` in each
where it belongs; the core's batch lock."""

from datetime import date

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.recurring_billing.tests.common import RecurringBillingCommon
from odoo.addons.recurring_billing.tools import CONTENTION_ERRORS, lock_batch

from ..models import recurring_dunning_run


@tagged("post_install", "-at_install")
class TestSuspendedStates(RecurringBillingCommon):
    def setUp(self):
        super().setUp()
        self.customer.email = "compta@boulangerie-martin.example"
        self.sub = self._create_subscription("2025-01-10")
        self._run_engine("2025-01-10")
        with freeze_time("2025-01-20"):
            self.sub._dunning_suspend()
        self.assertEqual(self.sub.subscription_state, "suspended")

    def test_suspended_in_each_group_where_it_belongs(self):
        SaleOrder = self.env["sale.order"]
        groups = {
            "billable": SaleOrder._get_billable_states(),
            "running": SaleOrder._get_running_states(),
            "cancellable": SaleOrder._get_cancellable_states(),
            "pausable": SaleOrder._get_pausable_states(),
            "changeable": SaleOrder._get_changeable_states(),
            "mrr": SaleOrder._get_mrr_states(),
            "reopenable": SaleOrder._get_reopenable_states(),
        }
        self.assertEqual(
            {name for name, states in groups.items() if "suspended" in states},
            {"billable", "running", "cancellable"},
        )

    def test_subscriber_reads_why_the_service_is_suspended(self):
        self.assertEqual(
            self.sub._get_portal_state_label(),
            "Service suspended: an invoice is unpaid",
        )
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(
            ["recurring_billing_dunning"], ["fr_FR"], overwrite=True
        )
        self.assertEqual(
            self.sub.with_context(lang="fr_FR")._get_portal_state_label(),
            "Service suspendu\u00a0: une facture est impayée",
        )

    def test_cancelling_a_suspended_subscription_closes_it_at_once(self):
        """Access is off: cancelled on 25 January, it ends that day instead
        of giving access back until 9 February, and bills nothing more."""
        with freeze_time("2025-01-25"):
            self.assertEqual(self.sub.subscription_cancel_date, date(2025, 1, 25))
            self.sub.action_subscription_cancel_at_period_end()
        self.assertRecordValues(
            self.sub,
            [
                {
                    "subscription_state": "closed",
                    "subscription_end_date": date(2025, 1, 25),
                    "next_invoice_date": False,
                    "service_access": False,
                }
            ],
        )
        self.assertFalse(self._run_engine("2025-02-10"))
        self.assertEqual(self.sub.subscription_invoice_count, 1)

    def test_public_cancellation_page_finds_a_suspended_subscription(self):
        Request = self.env["recurring.cancel.request"]
        self.assertEqual(
            Request._find_subscriptions(
                self.sub.name,
                "compta@boulangerie-martin.example",
                self.sub.partner_id.name,
            ),
            self.sub,
        )

    def test_a_suspended_subscription_is_not_paused_nor_changed(self):
        with self.assertRaisesRegex(UserError, "Only a running subscription"):
            self.sub.action_subscription_pause()
        with self.assertRaisesRegex(UserError, "is not running"):
            self.sub._preview_subscription_change({self.product_seat: 5})


@tagged("post_install", "-at_install")
class TestDunningBatchLock(RecurringBillingCommon):
    def test_the_dunning_job_locks_with_the_core_helper(self):
        self.assertIs(recurring_dunning_run.CONTENTION_ERRORS, CONTENTION_ERRORS)
        self.assertIs(recurring_dunning_run.lock_batch, lock_batch)
