# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import format_date

from ..tools import anchor_day_of


class RecurringSubscriptionPeriod(models.AbstractModel):
    """A subscription's billing periods: where a period starts and ends by
    its plan, which days its live invoices already bill, and where billing
    goes on after a reopen, a resume or a hand edit of the next invoice date.
    What a period bills is ``recurring.subscription.billing``."""

    _name = "recurring.subscription.period"
    _description = "Subscription Billing Periods"

    # ------------------------------------------------------------
    # BUSINESS METHODS: PERIODS
    # ------------------------------------------------------------

    def _get_next_period_start(self, day):
        """Start of the billing period that follows the one containing ``day``,
        by the subscription's plan, anchor day and alignment."""
        self.ensure_one()
        return self.recurring_plan_id._next_boundary(
            day, self.billing_anchor_day, self.recurring_alignment == "calendar"
        )

    def _get_previous_period_start(self, day):
        """Start of the billing period that precedes the one starting on ``day``."""
        self.ensure_one()
        return self.recurring_plan_id._previous_boundary(
            day, self.billing_anchor_day, self.recurring_alignment == "calendar"
        )

    def _get_billing_period(self, due_date):
        """(start, end, full_start, full_end) of the period invoiced on ``due_date``.

        ``start`` and ``end`` are the dates billed; ``full_start`` and
        ``full_end`` the whole period they belong to, for proration.
        """
        self.ensure_one()
        billing_start = max(
            filter(
                None,
                (
                    self.trial_end_date or self.subscription_start_date,
                    self.billing_resume_date,
                ),
            ),
            default=False,
        )
        if self.recurring_invoicing_mode == "postpaid":
            full_end = due_date - timedelta(days=1)
            full_start = self._get_previous_period_start(due_date)
        else:
            next_start = self._get_next_period_start(due_date)
            full_end = next_start - timedelta(days=1)
            full_start = (
                self._get_previous_period_start(next_start)
                if self.recurring_alignment == "calendar"
                else due_date
            )
        start = max(full_start, billing_start) if billing_start else full_start
        end = full_end
        if self.subscription_end_date:
            end = min(end, self.subscription_end_date)
        return start, end, full_start, full_end

    def _get_period_at(self, day):
        """The billing period that contains ``day``, among the current one and
        the next one to invoice, as the invoices bill it.

        :return: ``(start, end, full_start, full_end, billed)`` as in
            :meth:`_get_billing_period`; ``billed`` tells whether an invoice
            already covers that period (prepaid)
        """
        self.ensure_one()
        upcoming = self.next_invoice_date
        candidates = []
        if upcoming:
            if self.recurring_invoicing_mode == "postpaid":
                candidates.append((upcoming, False))
            else:
                previous = self._get_previous_period_start(upcoming)
                candidates += [(previous, True), (upcoming, False)]
        for due_date, billed in candidates:
            start, end, full_start, full_end = self._get_billing_period(due_date)
            if start <= day <= end:
                return start, end, full_start, full_end, billed
        raise UserError(
            self.env._(
                "A change of subscription %(order)s must take effect in its current "
                "billing period.",
                order=self.name,
            )
        )

    def _get_cancellation_end_date(self, request_date=None):
        """Last day of service of a cancellation at period end asked on
        ``request_date`` (today by default): the end of the current period,
        or of the first later one that leaves the template's notice period
        and ends the template's minimum commitment."""
        self.ensure_one()
        request_date = request_date or self.company_id._get_today()
        if not self.next_invoice_date:
            return request_date
        earliest = request_date + timedelta(
            days=self.sale_order_template_id.notice_days
        )
        commitment_end = self._get_commitment_end_date()
        if commitment_end:
            earliest = max(earliest, commitment_end)
        next_start = self.next_invoice_date
        while next_start - timedelta(days=1) < earliest:
            next_start = self._get_next_period_start(next_start)
        return max(next_start - timedelta(days=1), request_date)

    def _get_commitment_end_date(self):
        """Last day of the template's minimum commitment (start date plus the
        minimum, less a day), or ``False`` without one."""
        self.ensure_one()
        months = self.sale_order_template_id.minimum_commitment_months
        if not months or not self.subscription_start_date:
            return False
        return (
            self.subscription_start_date
            + relativedelta(months=months)
            - timedelta(days=1)
        )

    # ------------------------------------------------------------
    # BUSINESS METHODS: WHAT IS ALREADY BILLED
    # ------------------------------------------------------------

    def _get_billed_periods(self, date_from=None):
        """The periods this subscription's live invoices bill (draft or
        posted, credit notes and cancelled invoices aside), ending on or after
        ``date_from``, earliest first.

        :return: ``[(start, end, invoice)]``
        """
        self.ensure_one()
        if not self.id:
            return []
        domain = [
            ("subscription_id", "=", self.id),
            ("move_type", "=", "out_invoice"),
            ("state", "!=", "cancel"),
            ("subscription_period_start", "!=", False),
            ("subscription_period_end", "!=", False),
        ]
        if date_from:
            domain.append(("subscription_period_end", ">=", date_from))
        # A guard, whatever the user may read: as superuser.
        moves = (
            self.env["account.move"]
            .sudo()
            .search_fetch(
                domain,
                ["name", "subscription_period_start", "subscription_period_end"],
                order="subscription_period_start, id",
            )
        )
        return [
            (move.subscription_period_start, move.subscription_period_end, move)
            for move in moves
        ]

    def _get_billed_periods_by_subscription(self):
        """:meth:`_get_billed_periods` of these subscriptions, from the start
        of their next period on, in one query: ``{subscription id: [(start,
        end, invoice)]}``, each list earliest first. A superset of what each
        one's next periods meet: filter on the period's own start."""
        due = self.filtered("next_invoice_date")
        if not due:
            return {}
        # The whole period of the next invoice starts no later than the part
        # of it billed.
        date_from = min(
            order._get_billing_period(order.next_invoice_date)[2] for order in due
        )
        moves = (
            self.env["account.move"]
            .sudo()
            .search_fetch(
                [
                    ("subscription_id", "in", due.ids),
                    ("move_type", "=", "out_invoice"),
                    ("state", "!=", "cancel"),
                    ("subscription_period_start", "!=", False),
                    ("subscription_period_end", "!=", False),
                    ("subscription_period_end", ">=", date_from),
                ],
                [
                    "name",
                    "subscription_id",
                    "subscription_period_start",
                    "subscription_period_end",
                ],
                order="subscription_period_start, id",
            )
        )
        billed = {order.id: [] for order in due}
        for move in moves:
            billed[move.subscription_id.id].append(
                (move.subscription_period_start, move.subscription_period_end, move)
            )
        return billed

    def _get_billed_until(self):
        """Last day billed by a live period invoice of this subscription, or
        ``False``."""
        self.ensure_one()
        return max(
            (end for _start, end, _move in self._get_billed_periods()), default=False
        )

    def _check_next_invoice_date_not_billed(self, next_date):
        """Refuse ``next_date`` as next invoice date when an invoice already
        bills its period: prepaid, the period starting on it; postpaid, the
        period ending the day before."""
        for order in self:
            day = next_date
            if order.recurring_invoicing_mode == "postpaid":
                day -= timedelta(days=1)
            for start, end, move in order._get_billed_periods(day):
                if start <= day:
                    raise ValidationError(
                        self.env._(
                            "Subscription %(order)s is already invoiced from "
                            "%(start)s to %(end)s (%(invoice)s): a next invoice "
                            "date of %(date)s would bill those days again. Choose "
                            "a date after %(end)s.",
                            order=order.name,
                            start=format_date(self.env, start),
                            end=format_date(self.env, end),
                            invoice=move.name or move.display_name,
                            date=format_date(self.env, next_date),
                        )
                    )

    def _prepare_reopen_vals(self, today):
        """Values that reopen this subscription on ``today``: it serves and
        bills again from today, or from the day after the last day its
        invoices already bill (reopened the day it closed, mid-period).
        A subscription closing at period end goes on with its dates."""
        self.ensure_one()
        vals = {
            "subscription_state": "active",
            "subscription_end_date": False,
            "close_reason_id": False,
        }
        billed_until = self._get_billed_until()
        restart = today
        if billed_until and billed_until >= today:
            restart = billed_until + timedelta(days=1)
        if self.next_invoice_date and self.next_invoice_date >= restart:
            return vals
        calendar = self.recurring_alignment == "calendar"
        anchor = 1 if calendar else anchor_day_of(restart)
        vals.update(billing_anchor_day=anchor, billing_resume_date=restart)
        if self.recurring_invoicing_mode == "postpaid":
            # Billed in arrears: the period that starts on the restart day.
            vals["next_invoice_date"] = self.recurring_plan_id._next_boundary(
                restart, anchor, calendar
            )
        else:
            vals["next_invoice_date"] = restart
        return vals

    def _get_unbilled_part(self, start, end, billed):
        """The part of ``start``-``end`` that the ``billed`` periods (see
        :meth:`_get_billed_periods`) leave to bill: it starts after what is
        billed at its beginning; an empty part starts after its end.

        :raise UserError: when an invoice bills days inside the part, not at
            its beginning: billing around it would bill those days twice or
            leave a gap, so the period is left to a person
        """
        self.ensure_one()
        for billed_start, billed_end, move in billed:
            if billed_end < start or billed_start > end:
                continue
            if billed_start <= start:
                start = billed_end + timedelta(days=1)
                continue
            raise UserError(
                self.env._(
                    "Subscription %(order)s cannot bill %(start)s to %(end)s: "
                    "invoice %(invoice)s already bills %(billed_start)s to "
                    "%(billed_end)s, inside that period. Set the next invoice "
                    "date after %(billed_end)s, or cancel that invoice, then "
                    "retry.",
                    order=self.name,
                    start=format_date(self.env, start),
                    end=format_date(self.env, end),
                    invoice=move.name or move.display_name,
                    billed_start=format_date(self.env, billed_start),
                    billed_end=format_date(self.env, billed_end),
                )
            )
        return start, end
