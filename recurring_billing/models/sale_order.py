# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError

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
        # Before the billing mixin, whose invoice values it completes.
        "recurring.subscription.public",
        "recurring.subscription.billing",
        "recurring.subscription.change",
        "recurring.subscription.mail",
        "recurring.subscription.portal",
        "recurring.subscription.portal.summary",
        "recurring.subscription.payment",
        "recurring.subscription.lifecycle",
        "recurring.subscription.withdrawal",
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

    def _prepare_invoice(self):
        vals = super()._prepare_invoice()
        # A change order's or a one-off invoice: the public buyer's references
        # as of today (a subscription invoice: of its period, see
        # recurring.subscription.public).
        vals.update(self._prepare_fr_public_invoice_vals(self.company_id._get_today()))
        return vals

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

    def action_recurring_clear_error(self):
        """Let the job try again a subscription it flagged."""
        self.write({"recurring_billing_error": False})
        return True
