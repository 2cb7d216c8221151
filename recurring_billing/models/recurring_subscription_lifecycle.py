# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_date

from ..tools import anchor_day_of


class RecurringSubscriptionLifecycle(models.AbstractModel):
    """The lifecycle of a subscription: start, pause and resume, cancellation
    at period end, closing now, reopening, renewal of a fixed term. Mixed into
    ``sale.order`` only."""

    _name = "recurring.subscription.lifecycle"
    _description = "Subscription Lifecycle"

    # ------------------------------------------------------------
    # ACTION METHODS
    # ------------------------------------------------------------

    def action_subscription_pause(self):
        paused = self.browse()
        for order in self:
            if order.subscription_state not in order._get_pausable_states():
                raise UserError(
                    self.env._(
                        "Only a running subscription can be paused; %(order)s is "
                        "%(state)s.",
                        order=order.name,
                        state=order._subscription_state_label(),
                    )
                )
            today = order.company_id._get_today()
            if order._bills_served_part_on_pause(today):
                order._bill_served_before_pause(today)
            if order.subscription_state not in order._get_pausable_states():
                continue  # its term ended when its due periods were billed
            order.write({"subscription_state": "paused", "paused_since": today})
            paused |= order
        paused._send_subscription_mail("pause")
        return True

    def action_subscription_resume(self):
        for order in self:
            if order.subscription_state != "paused":
                raise UserError(
                    self.env._(
                        "Subscription %(order)s is not paused.", order=order.name
                    )
                )
            today = order.company_id._get_today()
            shift = today - order.paused_since
            vals = {"subscription_state": "active", "paused_since": False}
            if order.trial_end_date and order.trial_end_date > order.paused_since:
                # Paused during its trial: the trial's remaining days go on
                # after the pause, and its first invoice with them.
                vals.update(
                    subscription_state="trial",
                    trial_end_date=order.trial_end_date + shift,
                )
            if order._bills_served_part_on_pause(order.paused_since):
                # What was served before the pause is billed: a new period
                # starts on the day the service resumes.
                vals["billing_resume_date"] = today
                if order.recurring_alignment == "anniversary":
                    vals["billing_anchor_day"] = anchor_day_of(today)
            elif order.next_invoice_date:
                # Prepaid (or in trial): the days paid for and not served
                # while paused push the next invoice back.
                next_date = order.next_invoice_date + shift
                vals["next_invoice_date"] = next_date
                if order.recurring_alignment == "anniversary":
                    vals["billing_anchor_day"] = anchor_day_of(next_date)
            if order.subscription_end_date:
                vals["subscription_end_date"] = order.subscription_end_date + shift
            order.write(vals)
            if "billing_resume_date" in vals:
                order.next_invoice_date = order._get_next_period_start(today)
        self._send_subscription_mail("resume")
        return True

    def action_subscription_cancel_at_period_end(self):
        """Stop renewing: the subscription runs until the end of its current
        period, or of a later one when the notice period asks for it."""
        for order in self:
            if order.subscription_state not in order._get_cancellable_states():
                raise UserError(
                    self.env._(
                        "Subscription %(order)s cannot be cancelled: it is %(state)s.",
                        order=order.name,
                        state=order._subscription_state_label(),
                    )
                )
            today = order.company_id._get_today()
            if order._closes_at_once_on_cancel():
                order._subscription_close(today)
                continue
            end_date = order._get_cancellation_end_date(today)
            order.write(
                {"subscription_state": "to_close", "subscription_end_date": end_date}
            )
            order.message_post(
                body=self.env._(
                    "Cancelled on %(date)s: the subscription ends on %(end)s.",
                    date=format_date(self.env, today),
                    end=format_date(self.env, end_date),
                )
            )
        self._send_subscription_mail("close")
        return True

    def action_subscription_close(self):
        """Close now, without waiting for the end of the period (sales
        administrators: it may credit the unused days)."""
        if not self.env.user.has_group("sales_team.group_sale_manager"):
            raise AccessError(
                self.env._("Only sales administrators can close a subscription now.")
            )
        for order in self:
            if order.subscription_state not in order._get_running_states():
                raise UserError(
                    self.env._(
                        "Subscription %(order)s is not running.", order=order.name
                    )
                )
            today = order.company_id._get_today()
            if order._bills_served_part_on_pause(today + timedelta(days=1)):
                # Postpaid: the days served up to today, as a pause bills them.
                order._bill_served_until(today)
            order._subscription_credit_unused(today)
            if vals := order._prepare_final_usage_invoice_vals(today):
                order._create_invoices_as_user([vals])
            order._subscription_close(today)
        self._send_subscription_mail("close")
        return True

    def action_subscription_reopen(self):
        for order in self:
            if order.subscription_state not in order._get_reopenable_states():
                raise UserError(
                    self.env._(
                        "Only a closed subscription, or one closing at period "
                        "end, can be reopened; %(order)s is %(state)s.",
                        order=order.name,
                        state=order._subscription_state_label(),
                    )
                )
            today = order.company_id._get_today()
            vals = order._prepare_reopen_vals(today)
            was_closed = order.subscription_state == "closed"
            order.write(vals)
            # A closed fixed term starts a new term on the day it is reopened;
            # one that was to close at period end goes on with its term.
            if was_closed:
                order._subscription_set_term_end(term_start=today)
            else:
                order._subscription_set_term_end(running_on=today)
        return True

    # ------------------------------------------------------------
    # BUSINESS METHODS: LIFECYCLE
    # ------------------------------------------------------------

    def _subscription_state_label(self):
        self.ensure_one()
        return dict(
            self._fields["subscription_state"]._description_selection(self.env)
        ).get(self.subscription_state, "")

    def _closes_at_once_on_cancel(self):
        """Whether cancelling this subscription at period end closes it at
        once: in trial nothing is billed yet; paused, no period runs, so it
        ends paused and bills nothing more (the days it was paused are never
        billed); without a next invoice date no period ends."""
        self.ensure_one()
        return (
            self.subscription_state in ("trial", "paused") or not self.next_invoice_date
        )

    def _check_subscription_can_start(self):
        for order in self:
            if not order.partner_id:
                raise UserError(self.env._("A subscription needs a customer."))
            order._get_recurring_lines()._check_recurring_quantity()
            if not order._get_recurring_lines():
                raise UserError(
                    self.env._(
                        "Subscription %(order)s has no subscription product: add "
                        "at least one line whose product is a subscription product.",
                        order=order.name,
                    )
                )
            pricelist_currency = order.pricelist_id.currency_id
            if pricelist_currency and pricelist_currency != order.currency_id:
                raise UserError(
                    self.env._(
                        "Subscription %(order)s is in %(currency)s but its "
                        "pricelist is in %(pricelist_currency)s.",
                        order=order.name,
                        currency=order.currency_id.name,
                        pricelist_currency=pricelist_currency.name,
                    )
                )

    def _subscription_start(self):
        for order in self:
            start = order.subscription_start_date or order.company_id._get_today()
            trial_days = order.sale_order_template_id.trial_days
            billing_start = start + timedelta(days=trial_days)
            calendar_aligned = order.recurring_alignment == "calendar"
            order.write(
                {
                    "subscription_state": "trial" if trial_days else "active",
                    "subscription_start_date": start,
                    "trial_end_date": billing_start if trial_days else False,
                    "billing_anchor_day": (
                        1 if calendar_aligned else anchor_day_of(billing_start)
                    ),
                    "next_invoice_date": billing_start,
                }
            )
            if order.recurring_invoicing_mode == "postpaid":
                order.next_invoice_date = order._get_next_period_start(billing_start)
            order._subscription_set_term_end()
        self._send_subscription_mail("welcome")

    def _subscription_set_term_end(self, term_start=None, running_on=None):
        """Give fixed-term subscriptions without an end date their term: the
        first one, or the one that starts on ``term_start``, or the term (first
        or renewed) that runs on ``running_on``."""
        for order in self:
            template = order.sale_order_template_id
            if template.term_type != "fixed" or order.subscription_end_date:
                continue
            start = term_start or order.subscription_start_date
            terms = 1
            while (
                running_on
                and start + relativedelta(months=template.term_duration * terms)
                <= running_on
            ):
                terms += 1
            order.subscription_end_date = (
                start
                + relativedelta(months=template.term_duration * terms)
                - timedelta(days=1)
            )

    def _subscription_renew(self):
        """Extend a fixed term by one more term."""
        for order in self:
            template = order.sale_order_template_id
            new_end = order.subscription_end_date + relativedelta(
                months=template.term_duration
            )
            order.write(
                {"subscription_end_date": new_end, "renewal_reminder_sent": False}
            )
            order.message_post(
                body=self.env._(
                    "Subscription renewed until %(date)s.",
                    date=format_date(self.env, new_end),
                )
            )

    def _subscription_close(self, end_date, reason=None):
        for order in self:
            order.write(
                {
                    "subscription_state": "closed",
                    "subscription_end_date": min(
                        end_date, order.subscription_end_date or end_date
                    ),
                    "next_invoice_date": False,
                    "close_reason_id": (reason or order.close_reason_id).id,
                }
            )
