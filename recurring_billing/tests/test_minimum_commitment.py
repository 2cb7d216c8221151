# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""A template's minimum commitment: a cancellation never ends a subscription
before its start date plus the minimum, less a day."""

from datetime import date

from freezegun import freeze_time

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import RecurringBillingCommon


@tagged("post_install", "-at_install")
class TestMinimumCommitment(RecurringBillingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.template_committed = cls.template_monthly.copy(
            {
                "name": "Cloud monthly, 12-month commitment",
                "minimum_commitment_months": 12,
            }
        )

    def _committed_subscription(self, start="2026-01-05", template=None):
        subscription = self._create_subscription(
            start, template=template or self.template_committed
        )
        self._run_engine(start)
        return subscription

    def test_negative_minimum_is_refused(self):
        with self.assertRaises(ValidationError):
            self.template_committed.minimum_commitment_months = -1

    def test_commitment_end_date(self):
        subscription = self._committed_subscription()
        self.assertEqual(subscription._get_commitment_end_date(), date(2027, 1, 4))
        plain = self._committed_subscription(template=self.template_monthly)
        self.assertFalse(plain._get_commitment_end_date())

    def test_back_office_cancel_waits_for_the_end_of_the_commitment(self):
        subscription = self._committed_subscription()
        self._run_engine("2026-03-05")
        self.assertEqual(subscription.next_invoice_date, date(2026, 4, 5))
        with freeze_time("2026-03-20"):
            self.assertEqual(
                subscription._get_cancellation_end_date(), date(2027, 1, 4)
            )
            subscription.action_subscription_cancel_at_period_end()
        self.assertEqual(subscription.subscription_state, "to_close")
        self.assertEqual(subscription.subscription_end_date, date(2027, 1, 4))
        # Without the minimum, the same cancellation ends the current period.
        plain = self._committed_subscription(template=self.template_monthly)
        self._run_engine("2026-03-05")
        with freeze_time("2026-03-20"):
            plain.action_subscription_cancel_at_period_end()
        self.assertEqual(plain.subscription_end_date, date(2026, 4, 4))

    def test_after_the_commitment_the_period_end_applies(self):
        subscription = self._committed_subscription()
        self._run_engine("2027-02-05")
        self.assertEqual(subscription.next_invoice_date, date(2027, 3, 5))
        with freeze_time("2027-02-10"):
            subscription.action_subscription_cancel_at_period_end()
        self.assertEqual(subscription.subscription_end_date, date(2027, 3, 4))

    def test_commitment_ending_inside_a_period_ends_with_that_period(self):
        # Quarterly from 5 January, 4 months: committed until 4 May 2026,
        # inside the period of 5 April to 4 July, which is served in full.
        self.template_committed.write(
            {"plan_id": self.plan_quarterly.id, "minimum_commitment_months": 4}
        )
        subscription = self._committed_subscription()
        with freeze_time("2026-01-20"):
            self.assertEqual(
                subscription._get_cancellation_end_date(), date(2026, 7, 4)
            )

    def test_commitment_and_notice_the_later_wins(self):
        self.template_committed.write(
            {"minimum_commitment_months": 2, "notice_days": 60}
        )
        subscription = self._committed_subscription()
        # Commitment until 4 March; 60 days of notice from 10 January reach
        # 11 March: the period ending 4 April.
        with freeze_time("2026-01-10"):
            self.assertEqual(
                subscription._get_cancellation_end_date(), date(2026, 4, 4)
            )
