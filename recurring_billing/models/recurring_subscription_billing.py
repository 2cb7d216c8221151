# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import SQL

# The groups of subscription states the core reads, one per meaning; an
# addon adding a state extends the methods that return them (see
# _get_billable_states and the methods that follow it).
# The engine still has something to do: invoice, renew or close.
BILLABLE_STATES = ("trial", "active", "to_close")
# Started and not closed: usage is recorded, a payment method is needed,
# closing now and cancelling the order close it.
RUNNING_STATES = ("trial", "active", "paused", "to_close")
# The subscriber may cancel it (at period end, or at once: see
# sale.order._closes_at_once_on_cancel).
CANCELLABLE_STATES = ("trial", "active", "paused")
PAUSABLE_STATES = ("trial", "active")
# Its quantities may change mid-period, prorated.
CHANGEABLE_STATES = ("trial", "active", "to_close")
REOPENABLE_STATES = ("to_close", "closed")


class RecurringSubscriptionBilling(models.AbstractModel):
    """What one subscription bills: its periods due, renewals and closing,
    and the values of its invoices. The run over many subscriptions (batches,
    locks, fallback) is ``recurring.invoicing``."""

    _name = "recurring.subscription.billing"
    _description = "Subscription Billing Periods and Invoices"

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    def _compute_subscription_invoice_count(self):
        counts = dict(
            self.env["account.move"]._read_group(
                [("subscription_id", "in", self.ids)],
                ["subscription_id"],
                ["__count"],
            )
        )
        for order in self:
            order.subscription_invoice_count = counts.get(order, 0)

    # ------------------------------------------------------------
    # CRUD METHODS
    # ------------------------------------------------------------

    def write(self, vals):
        # A next invoice date moved back (by hand, or set again on a
        # subscription that had none) must not bill again what is billed.
        if vals.get("next_invoice_date"):
            new_date = fields.Date.to_date(vals["next_invoice_date"])
            self.filtered(
                lambda order: (
                    order.is_subscription
                    and (
                        not order.next_invoice_date
                        or new_date < order.next_invoice_date
                    )
                )
            )._check_next_invoice_date_not_billed(new_date)
        return super().write(vals)

    # ------------------------------------------------------------
    # ACTION METHODS
    # ------------------------------------------------------------

    def action_view_subscription_invoices(self):
        self.ensure_one()
        return self.action_view_invoice(self.subscription_invoice_ids)

    def action_view_subscription_usage(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "recurring_billing.recurring_usage_action"
        )
        action["domain"] = [("subscription_id", "=", self.id)]
        action["context"] = {
            "default_subscription_id": self.id,
            "search_default_filter_to_invoice": 1,
        }
        return action

    # ------------------------------------------------------------
    # BUSINESS METHODS: BILLING STATES
    # ------------------------------------------------------------

    @api.model
    def _get_billable_states(self):
        """Subscription states in which periods are billed (a module adding a
        state that keeps billing, such as a suspension, extends them)."""
        return BILLABLE_STATES

    @api.model
    def _get_running_states(self):
        """Subscription states of a subscription started and not closed:
        usage may be recorded, it needs a payment method, closing it now or
        cancelling its order closes it."""
        return RUNNING_STATES

    @api.model
    def _get_cancellable_states(self):
        """Subscription states in which a subscription may be cancelled (at
        period end, or at once: see ``_closes_at_once_on_cancel``), from the
        back office, the portal or the public cancellation page."""
        return CANCELLABLE_STATES

    @api.model
    def _get_pausable_states(self):
        """Subscription states in which a subscription may be paused."""
        return PAUSABLE_STATES

    @api.model
    def _get_changeable_states(self):
        """Subscription states in which the quantities of a subscription may
        change mid-period, prorated."""
        return CHANGEABLE_STATES

    @api.model
    def _get_reopenable_states(self):
        """Subscription states from which a subscription may be reopened."""
        return REOPENABLE_STATES

    # ------------------------------------------------------------
    # BUSINESS METHODS: INVOICING
    # ------------------------------------------------------------

    def _get_recurring_lines(self):
        self.ensure_one()
        return self.order_line.filtered(
            lambda line: not line.display_type and line.product_id.recurring_invoice
        )

    def _check_recurring_invoiceable(self):
        """Refuse what Odoo would invoice silently but an accountant would not."""
        self.ensure_one()
        archived = self.order_line.product_id.filtered(
            lambda product: not product.active
        )
        if archived:
            raise UserError(
                self.env._(
                    "Subscription %(order)s sells archived products: %(products)s. "
                    "Replace them or restore them before the next invoice.",
                    order=self.name,
                    products=", ".join(archived.mapped("display_name")),
                )
            )

    def _prepare_recurring_invoice_vals(
        self,
        invoice_date,
        period_start=None,
        period_end=None,
        one_off_lines=True,
        full_period=None,
        issue_date=None,
    ):
        """Values of the subscription invoice due on ``invoice_date``, lines
        included, or ``None`` when it would have no line.

        The invoice is dated ``issue_date``, the day it is issued: by default
        the company's today, or the day due when that is later (a simulation
        of the job in the future). A period caught up late is dated the day
        it is billed, its billing period says which period it covers, and its
        due date follows from its own date, never from a day already past.

        - With a period: the invoice of that billing period (regular or caught
          up), with the usage billed in arrears and, if ``one_off_lines``, the
          one-off lines not invoiced yet (set-up fees, change adjustments);
          only the first of several invoices prepared together may bill them,
          as none of them is created yet.
          ``full_period`` is ``(start, end)`` of the whole period, for
          proration, when it is not the period invoiced on ``invoice_date``
          (the part of a postpaid period served before a pause).
        - Without: the last invoice of a prepaid subscription that closed the
          day before ``invoice_date``, billing the usage recorded since its
          last invoice, which no further period invoice will bill.
        """
        self.ensure_one()
        final = period_start is None
        if final:
            # Usage is billed in arrears: up to the last day of service.
            usage_end = invoice_date - timedelta(days=1)
            lines_to_bill = self._get_recurring_lines().filtered(
                "product_id.recurring_usage"
            )
        else:
            self._check_recurring_invoiceable()
            # On a prepaid invoice, the usage recorded before the period
            # starts; on a postpaid one, up to its end.
            usage_end = (
                period_end
                if self.recurring_invoicing_mode == "postpaid"
                else period_start - timedelta(days=1)
            )
            lines_to_bill = self._get_recurring_lines()
        usage_start = self.usage_billed_until or (
            self.trial_end_date or self.subscription_start_date
        )
        metered = any(line.product_id.recurring_usage for line in lines_to_bill)
        usage = self._get_unbilled_usage(usage_start, usage_end) if metered else {}
        if final and not usage:
            return None
        period = {
            "usage_start": usage_start,
            "usage_end": usage_end,
            "policy": self.sale_order_template_id.proration_policy or "day",
        }
        if not final:
            full_start, full_end = (
                full_period or self._get_billing_period(invoice_date)[2:]
            )
            period.update(
                start=period_start,
                end=period_end,
                full_start=full_start,
                full_end=full_end,
            )
        lines = []
        # Descriptions (tiers, usage, proration) in the customer's language.
        for line in lines_to_bill.with_context(lang=self.partner_id.lang):
            usage_quantity = usage.get(line.product_id, (0.0,))[0]
            lines += line._prepare_recurring_invoice_lines(period, usage_quantity)
        if metered and usage_end >= (usage_start or usage_end):
            self.usage_billed_until = usage_end + timedelta(days=1)
        if not final and one_off_lines:
            # One-off lines (set-up fees...) and the adjustments of change
            # orders go on the first invoice that follows them.
            one_off = (self.order_line - self._get_recurring_lines()) | (
                self.subscription_change_order_ids.filtered(
                    lambda order: order.state == "sale"
                ).order_line
            )
            lines += [
                line._prepare_invoice_line()
                for line in one_off
                if not line.display_type and line.qty_to_invoice
            ]
        if final and not lines:
            return None
        if not issue_date:
            issue_date = max(invoice_date, self.company_id._get_today())
        vals = self._prepare_invoice()
        if not vals.get("invoice_payment_term_id"):
            # Without payment terms, due on the day it is issued.
            vals["invoice_date_due"] = issue_date
        vals.update(
            {
                "invoice_date": issue_date,
                "subscription_id": self.id,
                "invoice_line_ids": [Command.create(line_vals) for line_vals in lines],
            }
        )
        if not final:
            # A final usage invoice has no period of its own: its lines carry
            # the usage period.
            vals.update(
                subscription_period_start=period_start,
                subscription_period_end=period_end,
            )
        if usage:
            usage_records = self.env["recurring.usage"].union(
                *(records for _quantity, records in usage.values())
            )
            vals["recurring_usage_ids"] = [
                Command.link(uid) for uid in usage_records.ids
            ]
        return vals

    def _create_invoices_as_user(self, vals_list):
        """Create subscription invoices from a user's action (closing now,
        pausing a postpaid subscription). As Odoo's sale flow does, a user who
        may act on the subscription but not create invoices still gets them
        created; they are posted only for a user who may post invoices, and
        left in draft for an accountant otherwise."""
        self.ensure_one()
        may_post = self.env.user.has_group("account.group_account_invoice")
        invoicing = self.env["recurring.invoicing"]
        if not self.env["account.move"].has_access("create"):
            invoicing = invoicing.sudo()
        moves = invoicing._create_invoices(vals_list, post=may_post)
        if not may_post:
            for move in moves.sudo():
                move.message_post(
                    body=self.env._(
                        "Created in draft from subscription %(order)s by "
                        "%(user)s, who may not post invoices.",
                        order=self.name,
                        user=self.env.user.name,
                    )
                )
        return moves.sudo(False)

    def _bills_served_part_on_pause(self, pause_day):
        """A postpaid subscription paused after its trial bills what it served
        before the pause; a prepaid one (or one in trial) pushes its next
        invoice back by the days paused instead."""
        self.ensure_one()
        return bool(
            self.recurring_invoicing_mode == "postpaid"
            and self.next_invoice_date
            and not (self.trial_end_date and self.trial_end_date > pause_day)
        )

    def _bill_served_before_pause(self, pause_day):
        """Bill a postpaid subscription paused on ``pause_day``: see
        :meth:`_bill_served_until`, up to the day before the pause."""
        self.ensure_one()
        return self._bill_served_until(pause_day - timedelta(days=1))

    def _bill_served_until(self, last_day):
        """Bill a postpaid subscription served until ``last_day`` (paused the
        day after, or closed now on that day): the periods due today, and the
        part of the current period served up to ``last_day``, prorated over
        the whole period, with its own period and the usage recorded up to
        ``last_day``; so that the periods its invoices show are the periods
        served. Issued today.

        :return: the invoices created
        """
        self.ensure_one()
        today = self.company_id._get_today()
        vals_list = self._recurring_prepare_due(today)
        if (
            self.subscription_state in self._get_billable_states()
            and self.next_invoice_date
        ):
            start, end, full_start, full_end = self._get_billing_period(
                self.next_invoice_date
            )
            start, end = self._get_unbilled_part(
                start,
                min(end, last_day),
                self._get_billed_periods(start),
            )
            if start <= end:
                vals = self._prepare_recurring_invoice_vals(
                    last_day + timedelta(days=1),
                    start,
                    end,
                    one_off_lines=not vals_list,
                    full_period=(full_start, full_end),
                    issue_date=today,
                )
                if vals["invoice_line_ids"]:
                    vals_list.append(vals)
        if not vals_list:
            return self.env["account.move"]
        return self._create_invoices_as_user(vals_list)

    def _lock_usage_window(self):
        """Hold the rows of these subscriptions, as a new version of each,
        until the transaction ends, so that the usage recorded and the usage
        billed agree on ``usage_billed_until`` whatever runs at once.

        Recording usage and billing it both call it before they read the
        window. Of two such transactions on one subscription, the second
        waits for the first and, once the first commits, fails with a
        serialization failure: Odoo runs a request again (the job takes the
        batch again in a new transaction), and the new run sees the first
        one's usage or its new window. A transaction whose snapshot predates
        the other's commit fails the same way. So no invoice bills a window
        without the usage recorded in it, and no usage is recorded in a
        window billed meanwhile. Usage of different subscriptions never waits.
        """
        if not self.ids:
            return
        ids = tuple(sorted(self.ids))
        # In id order, as every caller: two transactions never wait on each
        # other in a circle.
        self.env.cr.execute(
            SQL(
                "SELECT id FROM sale_order WHERE id IN %s ORDER BY id "
                "FOR NO KEY UPDATE",
                ids,
            )
        )
        self.env.cr.execute(
            SQL(
                "UPDATE sale_order SET usage_billed_until = usage_billed_until "
                "WHERE id IN %s",
                ids,
            )
        )

    def _get_unbilled_usage(self, date_from, date_to):
        """Usage recorded from ``date_from`` to ``date_to`` and not invoiced yet.

        :return: ``{product: (total quantity, usage records)}``
        """
        self.ensure_one()
        if not date_from or not date_to or date_to < date_from:
            return {}
        self._lock_usage_window()
        groups = self.env["recurring.usage"]._read_group(
            [
                ("subscription_id", "=", self.id),
                ("move_id", "=", False),
                ("date", ">=", date_from),
                ("date", "<=", date_to),
            ],
            ["product_id"],
            ["quantity:sum", "id:recordset"],
        )
        return {product: (quantity, records) for product, quantity, records in groups}

    def _prepare_final_usage_invoice_vals(self, end_date):
        """Values of the last invoice of a prepaid subscription that closes on
        ``end_date`` (see :meth:`_prepare_recurring_invoice_vals`), or ``None``.
        Closed today, it is issued today; closed earlier, the day the job
        bills it."""
        self.ensure_one()
        if self.recurring_invoicing_mode == "postpaid":
            return None
        today = self.company_id._get_today()
        return self._prepare_recurring_invoice_vals(
            end_date + timedelta(days=1),
            issue_date=today if end_date <= today else end_date + timedelta(days=1),
        )

    def _recurring_prepare_due(self, today, billed_periods=None):
        """Renew, close and prepare the invoices of this subscription up to ``today``.

        Missed periods are caught up one invoice per period, oldest first. The
        next invoice date moves past each period prepared: the caller must
        create the invoices in the same transaction (see
        ``recurring.invoicing._create_invoices``).
        :param list billed_periods: the periods its invoices bill from its
            next period on, when the caller read them for a batch (see
            ``_get_billed_periods_by_subscription``); read here otherwise
        :return: the values of the invoices to create, oldest first
        """
        self.ensure_one()
        template = self.sale_order_template_id
        vals_list = []
        billed = None
        while (
            self.subscription_state in self._get_billable_states()
            and self.next_invoice_date
        ):
            due_date = self.next_invoice_date
            start, end, full_start, full_end = self._get_billing_period(due_date)
            end_date = self.subscription_end_date
            if end_date and start > end_date:
                if end_date >= today:
                    break
                if (
                    self.subscription_state != "to_close"
                    and template.term_type == "fixed"
                    and template.auto_renew
                ):
                    self._subscription_renew()
                    continue
                if vals := self._prepare_final_usage_invoice_vals(end_date):
                    vals_list.append(vals)
                self._subscription_close(end_date)
                break
            if due_date > today:
                break
            if self.subscription_state == "trial":
                self.subscription_state = "active"
            if billed is None:
                billed = (
                    self._get_billed_periods(start)
                    if billed_periods is None
                    else [period for period in billed_periods if period[1] >= start]
                )
            # What an invoice already bills (a subscription reopened, resumed
            # or moved by hand) is not billed again: the period goes on from
            # the end of it, the database refusing any overlap as last guard.
            start, end = self._get_unbilled_part(start, end, billed)
            if start <= end:
                vals = self._prepare_recurring_invoice_vals(
                    due_date,
                    start,
                    end,
                    one_off_lines=not vals_list,
                    full_period=(full_start, full_end),
                )
                # Nothing to bill (a part of a period not prorated): no empty
                # invoice.
                if vals["invoice_line_ids"]:
                    vals_list.append(vals)
            # The invoice records the period; a tracking message per period in
            # the chatter would only repeat it. Manual changes stay tracked.
            self.with_context(
                mail_notrack=True
            ).next_invoice_date = self._get_next_period_start(due_date)
        return vals_list

    def _recurring_invoice_due(self, today):
        """Renew, close and invoice this subscription up to ``today``.

        :return: the invoices created
        """
        self.ensure_one()
        return self.env["recurring.invoicing"]._create_invoices(
            self._recurring_prepare_due(today)
        )

    def _recurring_flag_error(self, error):
        """Record why the job could not bill this subscription, and tell someone."""
        self.ensure_one()
        message = str(error.args[0]) if getattr(error, "args", None) else str(error)
        self.recurring_billing_error = message
        self.activity_schedule(
            "mail.mail_activity_data_warning",
            summary=self.env._("Recurring invoicing failed"),
            note=message,
            user_id=(self.user_id or self.env.user).id,
        )

    @api.model
    def _get_subscriptions_to_invoice_domain(self):
        """Subscriptions with an invoice due, a term to renew or to close today,
        where "today" is each company's own local date."""
        companies = self.env["res.company"]
        return expression.AND(
            [
                [
                    ("is_subscription", "=", True),
                    ("state", "=", "sale"),
                    ("subscription_state", "in", self._get_billable_states()),
                    ("next_invoice_date", "!=", False),
                    ("recurring_billing_error", "=", False),
                ],
                expression.OR(
                    [
                        companies._get_today_domain("next_invoice_date", "<="),
                        companies._get_today_domain("subscription_end_date", "<"),
                    ]
                ),
            ]
        )
