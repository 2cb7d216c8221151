# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import format_date

from ..tools import anchor_day_of

SUBSCRIPTION_STATES = [
    ("draft", "Draft"),
    ("trial", "Trial"),
    ("active", "Active"),
    ("paused", "Paused"),
    ("to_close", "To Close at Period End"),
    ("closed", "Closed"),
]


class SaleOrder(models.Model):
    """A sale order with a recurring plan is a subscription: its fields and its
    lifecycle. Its billing periods and invoices, its changes and its emails
    are mixins of their own, for sale orders only."""

    _name = "sale.order"
    _inherit = [
        "sale.order",
        "recurring.subscription.kpi",
        "recurring.subscription.period",
        "recurring.subscription.billing",
        "recurring.subscription.change",
        "recurring.subscription.mail",
        "recurring.subscription.portal",
        "recurring.subscription.payment",
    ]

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    recurring_plan_id = fields.Many2one(
        "recurring.plan",
        string="Recurring Plan",
        compute="_compute_recurring_plan_id",
        store=True,
        readonly=False,
        precompute=True,
        check_company=True,
        tracking=True,
        index="btree_not_null",
    )
    is_subscription = fields.Boolean(
        compute="_compute_is_subscription", store=True, index=True
    )
    recurring_invoicing_mode = fields.Selection(
        selection=lambda self: self.env["sale.order.template"]
        ._fields["invoicing_mode"]
        ._description_selection(self.env),
        string="Invoicing Mode",
        compute="_compute_recurring_terms",
        store=True,
        readonly=False,
        precompute=True,
    )
    recurring_alignment = fields.Selection(
        selection=lambda self: self.env["sale.order.template"]
        ._fields["alignment"]
        ._description_selection(self.env),
        string="Billing Date Alignment",
        compute="_compute_recurring_terms",
        store=True,
        readonly=False,
        precompute=True,
    )
    subscription_state = fields.Selection(
        SUBSCRIPTION_STATES,
        copy=False,
        index=True,
        tracking=True,
    )
    subscription_start_date = fields.Date(
        string="Start Date", copy=False, tracking=True
    )
    trial_end_date = fields.Date(copy=False, tracking=True)
    next_invoice_date = fields.Date(copy=False, tracking=True, index=True)
    subscription_end_date = fields.Date(string="End Date", copy=False, tracking=True)
    paused_since = fields.Date(copy=False)
    billing_resume_date = fields.Date(
        copy=False,
        readonly=True,
        help="The service resumed on this day after a pause: what was served "
        "before the pause is billed, and periods are billed from this day.",
    )
    billing_anchor_day = fields.Integer(
        copy=False,
        help="Day of the month on which periods start (31 means the last day).",
    )
    renewal_reminder_date = fields.Date(
        compute="_compute_renewal_reminder_date", store=True
    )
    trial_reminder_date = fields.Date(
        compute="_compute_trial_reminder_date", store=True
    )
    trial_reminder_sent = fields.Boolean(copy=False)
    renewal_reminder_sent = fields.Boolean(
        copy=False, help="The reminder of the upcoming renewal has been sent."
    )
    close_reason_id = fields.Many2one(
        "recurring.close.reason", copy=False, tracking=True
    )
    recurring_billing_error = fields.Text(
        string="Billing Error",
        copy=False,
        readonly=True,
        help="Why the recurring-invoicing job could not bill this subscription. "
        "The job skips it until the error is cleared.",
    )
    subscription_invoice_ids = fields.One2many(
        "account.move", "subscription_id", string="Subscription Invoices"
    )
    # Computed at each read, never stored: a tier price or a pricelist that
    # changes changes it at once.
    recurring_amount_untaxed = fields.Monetary(
        string="Recurring Amount",
        compute="_compute_recurring_amount_untaxed",
        help="Untaxed amount invoiced every period, one-off lines and usage excluded.",
    )
    recurring_monthly_amount = fields.Monetary(
        string="Monthly Amount",
        compute="_compute_recurring_amount_untaxed",
        currency_field="company_currency_id",
        help="The recurring amount for one month (a yearly amount divided by "
        "twelve...), in the company's currency at today's rate: amounts of "
        "different plans and currencies can be added up.",
    )
    company_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Company Currency"
    )
    subscription_invoice_count = fields.Integer(
        compute="_compute_subscription_invoice_count"
    )

    usage_billed_until = fields.Date(
        copy=False,
        readonly=True,
        help="Usage recorded before this day is invoiced.",
    )
    recurring_usage_ids = fields.One2many(
        "recurring.usage", "subscription_id", string="Usage"
    )
    subscription_parent_id = fields.Many2one(
        "sale.order",
        string="Changed Subscription",
        copy=False,
        index="btree_not_null",
        readonly=True,
        help="The subscription whose change mid-period this order bills.",
    )
    subscription_change_order_ids = fields.One2many(
        "sale.order", "subscription_parent_id", string="Change Orders"
    )
    subscription_change_order_count = fields.Integer(
        compute="_compute_subscription_change_order_count"
    )
    subscription_cancel_date = fields.Date(
        string="Ends If Cancelled Today",
        compute="_compute_subscription_cancel_date",
        help="Last day of service if the subscription is cancelled at period "
        "end today: the end of the current period, or of a later one when "
        "the template's notice period or minimum commitment asks for it.",
    )

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    @api.depends("sale_order_template_id")
    def _compute_recurring_plan_id(self):
        for order in self:
            if order.sale_order_template_id:
                order.recurring_plan_id = order.sale_order_template_id.plan_id

    @api.depends("sale_order_template_id")
    def _compute_payment_term_id(self):
        res = super()._compute_payment_term_id()
        for order in self.filtered("sale_order_template_id.payment_term_id"):
            order.payment_term_id = order.sale_order_template_id.payment_term_id
        return res

    @api.depends("recurring_plan_id")
    def _compute_is_subscription(self):
        for order in self:
            order.is_subscription = bool(order.recurring_plan_id)

    @api.depends("sale_order_template_id")
    def _compute_recurring_terms(self):
        for order in self:
            template = order.sale_order_template_id
            order.recurring_invoicing_mode = template.invoicing_mode or (
                order.recurring_invoicing_mode or "prepaid"
            )
            order.recurring_alignment = template.alignment or (
                order.recurring_alignment or "anniversary"
            )

    @api.depends(
        "subscription_end_date",
        "sale_order_template_id.term_type",
        "sale_order_template_id.auto_renew",
        "sale_order_template_id.renewal_reminder_days",
    )
    def _compute_renewal_reminder_date(self):
        for order in self:
            template = order.sale_order_template_id
            if (
                order.subscription_end_date
                and template.term_type == "fixed"
                and template.auto_renew
            ):
                order.renewal_reminder_date = order.subscription_end_date - timedelta(
                    days=template.renewal_reminder_days
                )
            else:
                order.renewal_reminder_date = False

    @api.depends("trial_end_date", "sale_order_template_id.trial_reminder_days")
    def _compute_trial_reminder_date(self):
        for order in self:
            order.trial_reminder_date = order.trial_end_date and (
                order.trial_end_date
                - timedelta(days=order.sale_order_template_id.trial_reminder_days)
            )

    @api.depends(
        "order_line.price_unit",
        "order_line.product_uom_qty",
        "order_line.discount",
        "order_line.product_id.recurring_invoice",
        "order_line.product_id.recurring_usage",
        "order_line.product_id.recurring_pricing_model",
        "order_line.product_id.recurring_tier_ids.up_to",
        "order_line.product_id.recurring_tier_ids.unit_price",
        "recurring_plan_id.billing_period_value",
        "recurring_plan_id.billing_period_unit",
        "currency_id",
    )
    def _compute_recurring_amount_untaxed(self):
        """The untaxed amount of a whole period by each line's pricing model,
        and of one month in the company's currency; usage, unknown in
        advance, is left out."""
        for order in self:
            currency = order.currency_id
            amount = (
                currency.round(
                    sum(
                        line._get_recurring_period_amount(line.product_uom_qty)
                        * (1 - line.discount / 100.0)
                        for line in order._get_recurring_lines()
                        if not line.product_id.recurring_usage
                    )
                )
                if order.recurring_plan_id
                else 0.0
            )
            order.recurring_amount_untaxed = amount
            monthly = 0.0
            if amount and order.recurring_plan_id:
                company = order.company_id or self.env.company
                monthly = currency._convert(
                    amount / order.recurring_plan_id._get_months_per_period(),
                    company.currency_id,
                    company,
                    company._get_today(),
                )
            order.recurring_monthly_amount = monthly

    @api.depends("subscription_change_order_ids")
    def _compute_subscription_change_order_count(self):
        for order in self:
            order.subscription_change_order_count = len(
                order.subscription_change_order_ids
            )

    @api.depends("subscription_state", "next_invoice_date")
    def _compute_subscription_cancel_date(self):
        for order in self:
            order.subscription_cancel_date = (
                order.subscription_state in order._get_cancellable_states()
                and order._get_portal_cancellation_date()
            )

    # ------------------------------------------------------------
    # CONSTRAINT METHODS
    # ------------------------------------------------------------

    @api.constrains("subscription_start_date", "subscription_end_date")
    def _check_subscription_dates(self):
        for order in self:
            if (
                order.subscription_start_date
                and order.subscription_end_date
                and order.subscription_end_date < order.subscription_start_date
            ):
                raise ValidationError(
                    self.env._(
                        "Subscription %(order)s cannot end (%(end)s) before it "
                        "starts (%(start)s).",
                        order=order.name,
                        end=order.subscription_end_date,
                        start=order.subscription_start_date,
                    )
                )

    # ------------------------------------------------------------
    # CRUD METHODS
    # ------------------------------------------------------------

    def _action_cancel(self):
        """A cancelled order is no longer a running subscription."""
        running = self.filtered(
            lambda order: order.subscription_state in order._get_running_states()
        )
        res = super()._action_cancel()
        for order in running:
            order._subscription_close(order.company_id._get_today())
        return res

    def _action_confirm(self):
        subscriptions = self.filtered("is_subscription")
        subscriptions._check_subscription_can_start()
        res = super()._action_confirm()
        subscriptions._subscription_start()
        return res

    # ------------------------------------------------------------
    # ACTION METHODS
    # ------------------------------------------------------------

    def action_view_subscription_change_orders(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("sale.action_orders")
        action.update(
            {
                "domain": [("subscription_parent_id", "=", self.id)],
                "context": {"create": False},
            }
        )
        return action

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

    def action_recurring_clear_error(self):
        """Let the job try again a subscription it flagged."""
        self.write({"recurring_billing_error": False})
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
