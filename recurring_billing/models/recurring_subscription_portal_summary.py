# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta

from odoo import models
from odoo.tools import format_date, formatLang


class RecurringSubscriptionPortalSummary(models.AbstractModel):
    """What a subscriber reads about their subscription on the customer
    portal and the public cancellation page, in their own words: its
    status, and what is still invoiced until it ends."""

    _name = "recurring.subscription.portal.summary"
    _description = "Subscription Summary for Subscribers"

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _get_portal_billing_until_end(self, end_date=None):
        """The invoices still to be issued for the periods up to
        ``end_date`` (by default the last day of service if the subscriber
        cancels today), as the engine issues them: one per period, each of
        the amount of the next invoice, taxes included (usage aside).

        :return: ``{'count', 'amount', 'total', 'until'}``, or ``False`` when
            no more invoice is issued
        """
        self.ensure_one()
        if end_date is None:
            end_date = self._get_portal_cancellation_date()
        amount = self._get_portal_next_invoice_amount()
        if not amount or not end_date or self._closes_at_once_on_cancel():
            return False
        # A prepaid period is invoiced on its first day, a postpaid one the
        # day after its last.
        last_due = end_date
        if self.recurring_invoicing_mode == "postpaid":
            last_due += timedelta(days=1)
        count = 0
        due = self.next_invoice_date
        while due <= last_due:
            count += 1
            due = self._get_next_period_start(due)
        if not count:
            return False
        return {
            "count": count,
            "amount": amount,
            "total": self.currency_id.round(amount * count),
            "until": end_date,
        }

    def _get_portal_billing_until_end_text(self, end_date=None):
        """What the subscriber is still invoiced until the end of their
        contract, in a sentence; empty when nothing more is invoiced."""
        self.ensure_one()
        left = self._get_portal_billing_until_end(end_date)
        if not left:
            return ""
        values = {
            "count": left["count"],
            "amount": formatLang(
                self.env, left["amount"], currency_obj=self.currency_id
            ),
            "date": format_date(self.env, left["until"]),
        }
        if left["count"] == 1:
            return self.env._(
                "You will still be invoiced once, %(amount)s incl. tax, "
                "until %(date)s.",
                **values,
            )
        return self.env._(
            "You will still be invoiced %(count)s times %(amount)s incl. tax "
            "until %(date)s.",
            **values,
        )

    def _get_portal_state_label(self):
        """The subscription's status in the subscriber's words."""
        self.ensure_one()
        state = self.subscription_state
        end = self.subscription_end_date and format_date(
            self.env, self.subscription_end_date
        )
        if state == "trial":
            return self.env._("Free trial")
        if state == "active":
            return self.env._("Running")
        if state == "paused":
            return self.env._("Paused")
        if state == "to_close":
            return (
                self.env._("Cancellation scheduled on %(date)s", date=end)
                if end
                else self.env._("Cancellation scheduled")
            )
        if state == "closed":
            return (
                self.env._("Ended on %(date)s", date=end)
                if end
                else self.env._("Ended")
            )
        return self._subscription_state_label()
