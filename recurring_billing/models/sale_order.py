# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging
from collections import defaultdict
from datetime import timedelta

import psycopg2
from dateutil.relativedelta import relativedelta
from psycopg2 import errors as pg_errors

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.osv import expression
from odoo.tools import format_date

from ..tools import anchor_day_of, prorate

_logger = logging.getLogger(__name__)

# Contention (serialization failure, deadlock) or a lost connection says
# nothing of a subscription: the cron rolls the batch back and runs it again.
CONTENTION_ERRORS = (psycopg2.OperationalError, pg_errors.TransactionRollbackError)

# States in which the engine still has something to do: invoice, renew or close.
BILLABLE_STATES = ("trial", "active", "to_close")
SUBSCRIPTION_STATES = [
    ("draft", "Draft"),
    ("trial", "Trial"),
    ("active", "Active"),
    ("paused", "Paused"),
    ("to_close", "To Close at Period End"),
    ("closed", "Closed"),
]


class SaleOrder(models.Model):
    _inherit = "sale.order"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    recurring_template_id = fields.Many2one(
        "recurring.template",
        string="Subscription Template",
        check_company=True,
        tracking=True,
    )
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
        selection=lambda self: self.env["recurring.template"]
        ._fields["invoicing_mode"]
        ._description_selection(self.env),
        string="Invoicing Mode",
        compute="_compute_recurring_terms",
        store=True,
        readonly=False,
        precompute=True,
    )
    recurring_alignment = fields.Selection(
        selection=lambda self: self.env["recurring.template"]
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
    recurring_amount_untaxed = fields.Monetary(
        string="Recurring Amount",
        compute="_compute_recurring_amount_untaxed",
        store=True,
        help="Untaxed amount invoiced every period, one-off lines and usage excluded.",
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

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    @api.depends("recurring_template_id")
    def _compute_recurring_plan_id(self):
        for order in self:
            if order.recurring_template_id:
                order.recurring_plan_id = order.recurring_template_id.plan_id

    @api.depends("recurring_template_id")
    def _compute_payment_term_id(self):
        res = super()._compute_payment_term_id()
        for order in self.filtered("recurring_template_id.payment_term_id"):
            order.payment_term_id = order.recurring_template_id.payment_term_id
        return res

    @api.depends("recurring_template_id")
    def _compute_journal_id(self):
        res = super()._compute_journal_id()
        for order in self.filtered("recurring_template_id.journal_id"):
            order.journal_id = order.recurring_template_id.journal_id
        return res

    @api.depends("recurring_plan_id")
    def _compute_is_subscription(self):
        for order in self:
            order.is_subscription = bool(order.recurring_plan_id)

    @api.depends("recurring_template_id")
    def _compute_recurring_terms(self):
        for order in self:
            template = order.recurring_template_id
            order.recurring_invoicing_mode = template.invoicing_mode or (
                order.recurring_invoicing_mode or "prepaid"
            )
            order.recurring_alignment = template.alignment or (
                order.recurring_alignment or "anniversary"
            )

    @api.depends(
        "subscription_end_date",
        "recurring_template_id.term_type",
        "recurring_template_id.renewal_reminder_days",
    )
    def _compute_renewal_reminder_date(self):
        for order in self:
            template = order.recurring_template_id
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

    @api.depends("trial_end_date", "recurring_template_id.trial_reminder_days")
    def _compute_trial_reminder_date(self):
        for order in self:
            order.trial_reminder_date = order.trial_end_date and (
                order.trial_end_date
                - timedelta(days=order.recurring_template_id.trial_reminder_days)
            )

    @api.depends(
        "order_line.price_unit",
        "order_line.product_uom_qty",
        "order_line.discount",
        "order_line.product_id.recurring_invoice",
        "order_line.product_id.recurring_usage",
        "order_line.product_id.recurring_pricing_model",
    )
    def _compute_recurring_amount_untaxed(self):
        """The untaxed amount of a whole period by each line's pricing model;
        usage, unknown in advance, is left out."""
        for order in self:
            order.recurring_amount_untaxed = sum(
                line._get_recurring_period_amount(line.product_uom_qty)
                * (1 - line.discount / 100.0)
                for line in order._get_recurring_lines()
                if not line.product_id.recurring_usage
            )

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

    @api.depends("subscription_change_order_ids")
    def _compute_subscription_change_order_count(self):
        for order in self:
            order.subscription_change_order_count = len(
                order.subscription_change_order_ids
            )

    # ------------------------------------------------------------
    # CONSTRAINT AND ONCHANGE METHODS
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

    @api.onchange("recurring_template_id")
    def _onchange_recurring_template_id(self):
        template = self.recurring_template_id
        if not template:
            return
        if not self.order_line:
            self.order_line = [
                Command.create(line._prepare_order_line_vals())
                for line in template.line_ids
            ]

    # ------------------------------------------------------------
    # CRUD METHODS
    # ------------------------------------------------------------

    def _action_cancel(self):
        """A cancelled order is no longer a running subscription."""
        running = self.filtered(
            lambda order: order.subscription_state not in (False, "draft", "closed")
        )
        res = super()._action_cancel()
        for order in running:
            order._subscription_close(order._get_company_today())
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

    def action_view_subscription_invoices(self):
        self.ensure_one()
        return self.action_view_invoice(self.subscription_invoice_ids)

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

    def action_subscription_pause(self):
        for order in self:
            if order.subscription_state not in ("trial", "active"):
                raise UserError(
                    self.env._(
                        "Only a running subscription can be paused; %(order)s is "
                        "%(state)s.",
                        order=order.name,
                        state=order._subscription_state_label(),
                    )
                )
            order.write(
                {
                    "subscription_state": "paused",
                    "paused_since": order._get_company_today(),
                }
            )
        self._send_subscription_mail("pause")
        return True

    def action_subscription_resume(self):
        for order in self:
            if order.subscription_state != "paused":
                raise UserError(
                    self.env._(
                        "Subscription %(order)s is not paused.", order=order.name
                    )
                )
            today = order._get_company_today()
            shift = today - order.paused_since
            vals = {"subscription_state": "active", "paused_since": False}
            if order.next_invoice_date:
                next_date = order.next_invoice_date + shift
                vals["next_invoice_date"] = next_date
                if order.recurring_alignment == "anniversary":
                    vals["billing_anchor_day"] = anchor_day_of(next_date)
            if order.subscription_end_date:
                vals["subscription_end_date"] = order.subscription_end_date + shift
            order.write(vals)
        self._send_subscription_mail("resume")
        return True

    def action_subscription_cancel_at_period_end(self):
        """Stop renewing: the subscription runs until its current period ends."""
        for order in self:
            if order.subscription_state not in ("trial", "active", "paused"):
                raise UserError(
                    self.env._(
                        "Subscription %(order)s cannot be cancelled: it is %(state)s.",
                        order=order.name,
                        state=order._subscription_state_label(),
                    )
                )
            today = order._get_company_today()
            if order.subscription_state == "trial" or not order.next_invoice_date:
                order._subscription_close(today)
                continue
            period_end = order.next_invoice_date - timedelta(days=1)
            order.write(
                {
                    "subscription_state": "to_close",
                    "subscription_end_date": max(period_end, today),
                }
            )
        self._send_subscription_mail("close")
        return True

    def action_subscription_close(self):
        """Close now, without waiting for the end of the period."""
        for order in self:
            if order.subscription_state in ("draft", "closed", False):
                raise UserError(
                    self.env._(
                        "Subscription %(order)s is not running.", order=order.name
                    )
                )
            today = order._get_company_today()
            order._subscription_credit_unused(today)
            if vals := order._prepare_final_usage_invoice_vals(today):
                order._recurring_create_invoices([vals])
            order._subscription_close(today)
        self._send_subscription_mail("close")
        return True

    def action_subscription_reopen(self):
        for order in self:
            if order.subscription_state not in ("to_close", "closed"):
                raise UserError(
                    self.env._(
                        "Only a closed subscription, or one closing at period "
                        "end, can be reopened; %(order)s is %(state)s.",
                        order=order.name,
                        state=order._subscription_state_label(),
                    )
                )
            today = order._get_company_today()
            vals = {
                "subscription_state": "active",
                "subscription_end_date": False,
                "close_reason_id": False,
            }
            if not order.next_invoice_date or order.next_invoice_date < today:
                vals["next_invoice_date"] = today
                vals["billing_anchor_day"] = anchor_day_of(today)
            order.write(vals)
            order._subscription_set_term_end()
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

    def _get_company_today(self, company=None):
        """Today in the company's time zone (the subscription's by default), not
        in UTC."""
        company = company or self.company_id or self.env.company
        tz = company.sudo().partner_id.tz or self.env.user.tz or "UTC"
        return fields.Date.context_today(self.with_context(tz=tz))

    def _check_subscription_can_start(self):
        for order in self:
            if not order.partner_id:
                raise UserError(self.env._("A subscription needs a customer."))
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
            start = order.subscription_start_date or order._get_company_today()
            trial_days = order.recurring_template_id.trial_days
            billing_start = start + timedelta(days=trial_days)
            calendar_aligned = order.recurring_alignment == "calendar"
            anchor_day = 1 if calendar_aligned else anchor_day_of(billing_start)
            if order.recurring_invoicing_mode == "postpaid":
                next_invoice_date = order.recurring_plan_id._next_boundary(
                    billing_start, anchor_day, calendar_aligned
                )
            else:
                next_invoice_date = billing_start
            order.write(
                {
                    "subscription_state": "trial" if trial_days else "active",
                    "subscription_start_date": start,
                    "trial_end_date": billing_start if trial_days else False,
                    "billing_anchor_day": anchor_day,
                    "next_invoice_date": next_invoice_date,
                }
            )
            order._subscription_set_term_end()
        self._send_subscription_mail("welcome")

    def _subscription_set_term_end(self):
        """Give fixed-term subscriptions without an end date their first term."""
        for order in self:
            template = order.recurring_template_id
            if template.term_type != "fixed" or order.subscription_end_date:
                continue
            order.subscription_end_date = (
                order.subscription_start_date
                + relativedelta(months=template.term_duration)
                - timedelta(days=1)
            )

    def _subscription_renew(self):
        """Extend a fixed term by one more term."""
        for order in self:
            template = order.recurring_template_id
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

    # ------------------------------------------------------------
    # BUSINESS METHODS: CHANGES AND PRORATION
    # ------------------------------------------------------------

    def _get_period_at(self, day):
        """The billing period that contains ``day``, among the current one and
        the next one to invoice, as the invoices bill it.

        :return: ``(start, end, full_start, full_end, billed)`` as in
            :meth:`_get_billing_period`; ``billed`` tells whether an invoice
            already covers that period (prepaid)
        """
        self.ensure_one()
        plan = self.recurring_plan_id
        calendar_aligned = self.recurring_alignment == "calendar"
        upcoming = self.next_invoice_date
        candidates = []
        if upcoming:
            if self.recurring_invoicing_mode == "postpaid":
                candidates.append((upcoming, False))
            else:
                previous = plan._previous_boundary(
                    upcoming, self.billing_anchor_day, calendar_aligned
                )
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

    def _preview_subscription_change(self, quantities, change_date=None):
        """What setting the quantities of subscription products costs, from
        ``change_date`` (today by default) to the end of the billing period.

        Used by the change methods, and by the customer portal before a
        customer confirms a change.

        :param dict quantities: ``{product.product: new quantity}``; 0 removes
            the product, a product not on the subscription is added
        :return: a dict: ``date``, ``period_start``, ``period_end``, ``billed``
            (the period is already invoiced), ``currency``, ``lines`` (one dict
            per product: ``product``, ``line`` (sale.order.line or empty),
            ``old_quantity``, ``new_quantity``, ``amount`` (untaxed, signed:
            positive is due by the customer), ``taxes``), ``amount_untaxed``,
            ``amount_tax``, ``amount_total``
        """
        self.ensure_one()
        if self.subscription_state not in ("trial", "active", "to_close"):
            raise UserError(
                self.env._(
                    "Subscription %(order)s is not running: it cannot be changed.",
                    order=self.name,
                )
            )
        change_date = change_date or self._get_company_today()
        in_trial = (
            self.subscription_state == "trial"
            and self.trial_end_date
            and change_date < self.trial_end_date
        )
        start, end, full_start, full_end, billed = (
            (change_date, change_date, change_date, change_date, False)
            if in_trial
            else self._get_period_at(change_date)
        )
        # Days counted from the start of the whole period, which the invoices
        # prorate over.
        full_days = (full_end - full_start).days + 1
        offset = (change_date - full_start).days
        first_billed = (start - full_start).days
        last_billed = (end - full_start).days
        policy = self.recurring_template_id.proration_policy or "day"
        currency = self.currency_id
        lines = []
        for product, new_quantity in quantities.items():
            if new_quantity < 0:
                raise ValidationError(
                    self.env._(
                        "The quantity of %(product)s cannot be negative.",
                        product=product.display_name,
                    )
                )
            if not product.recurring_invoice:
                raise UserError(
                    self.env._(
                        "%(product)s is not a subscription product.",
                        product=product.display_name,
                    )
                )
            line = self._get_recurring_lines().filtered(
                lambda line, product=product: line.product_id == product
            )[:1]
            old_quantity = line.product_uom_qty if line else 0.0
            amount = 0.0
            # A product not on the subscription yet is priced, discounted and
            # taxed (fiscal position included) as Odoo would add it.
            new_line = line or self.env["sale.order.line"].new(
                {"order_id": self.id, "product_id": product.id}
            )
            if not in_trial and not product.recurring_usage:
                old_amount = (
                    line._get_recurring_period_amount(old_quantity) if line else 0.0
                )
                new_amount = new_line._get_recurring_period_amount(new_quantity)
                # The subscription's discount applies to the difference too.
                discount = new_line.discount
                difference = (new_amount - old_amount) * (1 - discount / 100.0)
                if policy == "full":
                    amount = difference if billed else 0.0
                elif policy == "day" and billed:
                    # The rest of a prepaid period is billed or credited now.
                    amount = prorate(
                        difference, full_days, offset, last_billed, currency.round
                    )
                elif policy == "day" and offset > first_billed:
                    # The next invoice bills the new quantity for the whole
                    # period: it gives back what the old one owed before.
                    amount = -prorate(
                        difference, full_days, first_billed, offset - 1, currency.round
                    )
            lines.append(
                {
                    "product": product,
                    "line": line,
                    "old_quantity": old_quantity,
                    "new_quantity": new_quantity,
                    "amount": currency.round(amount),
                    "taxes": new_line.tax_id,
                }
            )
        amount_untaxed = amount_total = 0.0
        for line in lines:
            taxes = line["taxes"].compute_all(
                line["amount"],
                currency=currency,
                quantity=1.0,
                product=line["product"],
                partner=self.partner_id,
            )
            amount_untaxed += taxes["total_excluded"]
            amount_total += taxes["total_included"]
        return {
            "date": change_date,
            "period_start": start,
            "period_end": end,
            "billed": billed,
            "currency": currency,
            "lines": lines,
            "amount_untaxed": currency.round(amount_untaxed),
            "amount_tax": currency.round(amount_total - amount_untaxed),
            "amount_total": currency.round(amount_total),
        }

    @api.model
    def _get_change_adjustments(self, preview):
        """The lines of a change preview that bill or credit something."""
        return [
            change
            for change in preview["lines"]
            if not preview["currency"].is_zero(change["amount"])
        ]

    def _subscription_change(self, quantities, change_date=None):
        """Set the quantities of subscription products from ``change_date``
        (today by default) and bill or credit the difference for the rest of
        the billing period, by the template's proration policy:

        - the difference is recorded on a confirmed **change order** (a sale
          order linked to the subscription);
        - an upgrade of a prepaid period is invoiced at once, or on the next
          invoice, as the template says;
        - a downgrade of a prepaid period is credited at once by a credit note
          that references the invoice of the period;
        - in a period not invoiced yet, the next invoice bills the new
          quantities with an adjustment for the days before the change.

        :return: the change order, or an empty recordset when nothing is due
        """
        self.ensure_one()
        preview = self._preview_subscription_change(quantities, change_date)
        old_lines = [
            (change["product"], change["old_quantity"], change["new_quantity"])
            for change in preview["lines"]
        ]
        new_lines = []
        for change in preview["lines"]:
            if change["line"]:
                change["line"].product_uom_qty = change["new_quantity"]
            elif change["new_quantity"]:
                new_lines.append(
                    Command.create(
                        {
                            "product_id": change["product"].id,
                            "product_uom_qty": change["new_quantity"],
                        }
                    )
                )
        if new_lines:
            self.order_line = new_lines
        changes = ", ".join(
            "%s %s → %s"  # noqa: UP031 - a list of values, not a sentence
            % (
                product.display_name,
                self.env["sale.order.line"]._format_quantity(old),
                self.env["sale.order.line"]._format_quantity(new),
            )
            for product, old, new in old_lines
        )
        self.message_post(
            body=self.env._(
                "Subscription changed from %(date)s: %(changes)s",
                date=format_date(self.env, preview["date"]),
                changes=changes,
            )
        )
        adjustments = self._get_change_adjustments(preview)
        if not adjustments:
            return self.browse()
        change_order = self._create_change_order(preview, adjustments)
        if not preview["billed"]:
            return change_order
        total = preview["amount_total"]
        upsell_now = (self.recurring_template_id.upsell_billing or "immediate") == (
            "immediate"
        )
        if total > 0 and upsell_now or total < 0:
            change_order._invoice_change_order(preview)
        return change_order

    def _create_change_order(self, preview, adjustments):
        """A confirmed sale order billing the prorated ``adjustments``."""
        self.ensure_one()
        # Line descriptions in the customer's language.
        env = self.with_context(lang=self.partner_id.lang).env
        period_end = preview["period_end"]
        lines = []
        for change in adjustments:
            product = change["product"]
            old = env["sale.order.line"]._format_quantity(change["old_quantity"])
            new = env["sale.order.line"]._format_quantity(change["new_quantity"])
            if preview["billed"]:
                name = env._(
                    "%(product)s: %(old)s → %(new)s from %(start)s to %(end)s",
                    product=product.display_name,
                    old=old,
                    new=new,
                    start=format_date(env, preview["date"]),
                    end=format_date(env, period_end),
                )
            else:
                name = env._(
                    "%(product)s: %(old)s → %(new)s on %(date)s, "
                    "adjustment for %(start)s to %(end)s",
                    product=product.display_name,
                    old=old,
                    new=new,
                    date=format_date(env, preview["date"]),
                    start=format_date(env, preview["period_start"]),
                    end=format_date(env, preview["date"] - timedelta(days=1)),
                )
            lines.append(
                Command.create(
                    {
                        "product_id": product.id,
                        "name": name,
                        "product_uom_qty": 1.0,
                        # Net of the subscription's discount already.
                        "price_unit": change["amount"],
                        "discount": 0.0,
                        "tax_id": [Command.set(change["taxes"].ids)],
                    }
                )
            )
        change_order = self.create(
            {
                "partner_id": self.partner_id.id,
                "partner_invoice_id": self.partner_invoice_id.id,
                "partner_shipping_id": self.partner_shipping_id.id,
                "pricelist_id": self.pricelist_id.id,
                "company_id": self.company_id.id,
                "user_id": self.user_id.id,
                "team_id": self.team_id.id,
                "fiscal_position_id": self.fiscal_position_id.id,
                "payment_term_id": self.payment_term_id.id,
                "journal_id": self.journal_id.id,
                "origin": self.name,
                "client_order_ref": self.client_order_ref,
                "subscription_parent_id": self.id,
                "order_line": lines,
            }
        )
        change_order.action_confirm()
        return change_order

    def _invoice_change_order(self, preview):
        """Invoice (or credit) this change order now, and post it."""
        self.ensure_one()
        subscription = self.subscription_parent_id
        # Odoo's sale flow creates invoices as superuser (a salesman may
        # invoice an order); what follows runs with the user's own rights.
        move = self._create_invoices(final=True).sudo(False)
        period = {
            "subscription_period_start": preview["date"],
            "subscription_period_end": preview["period_end"],
        }
        vals = {"subscription_id": subscription.id}
        if move.move_type == "out_refund":
            original = subscription._get_invoice_covering(preview["date"])
            if original:
                vals.update(
                    reversed_entry_id=original.id,
                    ref=self.env._(
                        "Credit note for %(invoice)s of %(date)s",
                        invoice=original.name,
                        date=format_date(self.env, original.invoice_date),
                    ),
                )
        move.sudo().write(vals)
        move.sudo().invoice_line_ids.filtered(
            lambda line: line.display_type == "product"
        ).write(period)
        template = subscription.recurring_template_id
        if (not template or template.auto_post) and self.env.user.has_group(
            "account.group_account_invoice"
        ):
            move.action_post()
        else:
            # Left in draft for someone who may post invoices.
            move.sudo().message_post(
                body=self.env._(
                    "Created in draft by the change of subscription %(order)s.",
                    order=subscription.name,
                )
            )
        return move

    def _get_invoice_covering(self, day):
        """The posted subscription invoice whose period covers ``day``."""
        self.ensure_one()
        return self.env["account.move"].search(
            [
                ("subscription_id", "=", self.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("subscription_period_start", "<=", day),
                ("subscription_period_end", ">=", day),
            ],
            order="invoice_date desc, id desc",
            limit=1,
        )

    def _check_addon(self, product):
        self.ensure_one()
        if product not in self.recurring_template_id.addon_product_ids:
            raise UserError(
                self.env._(
                    "%(product)s is not an add-on of subscription %(order)s.",
                    product=product.display_name,
                    order=self.name,
                )
            )

    def _subscription_add_addon(self, product, quantity=1.0, change_date=None):
        """Add an add-on of the template, or raise its quantity."""
        self._check_addon(product)
        return self._subscription_change({product: quantity}, change_date)

    def _subscription_remove_addon(self, product, change_date=None):
        """Remove an add-on from the subscription."""
        self._check_addon(product)
        return self._subscription_change({product: 0.0}, change_date)

    def _subscription_credit_unused(self, close_date):
        """Credit the prepaid days after ``close_date``, if the template says so.

        :return: the credit note, or an empty recordset
        """
        self.ensure_one()
        if not self.recurring_template_id.credit_on_close:
            return self.env["account.move"]
        day = close_date + timedelta(days=1)
        if self.recurring_invoicing_mode != "prepaid" or not self.next_invoice_date:
            return self.env["account.move"]
        if day >= self.next_invoice_date:
            return self.env["account.move"]
        quantities = {
            line.product_id: 0.0
            for line in self._get_recurring_lines()
            if not line.product_id.recurring_usage and line.product_uom_qty
        }
        preview = self._preview_subscription_change(quantities, day)
        adjustments = self._get_change_adjustments(preview)
        if not preview["billed"] or not adjustments:
            return self.env["account.move"]
        change_order = self._create_change_order(preview, adjustments)
        return change_order._invoice_change_order(preview)

    # ------------------------------------------------------------
    # BUSINESS METHODS: COMMUNICATIONS
    # ------------------------------------------------------------

    def _get_subscription_mail_template(self, kind):
        """The mail template of ``kind`` for this subscription; empty if off."""
        self.ensure_one()
        template = self.recurring_template_id
        if template:
            return template[f"{kind}_mail_template_id"]
        return self.env["recurring.template"]._default_mail_template(kind)

    def _send_subscription_mail(self, kind):
        for order in self:
            mail_template = order._get_subscription_mail_template(kind)
            if mail_template:
                order._send_order_notification_mail(mail_template)

    @api.model
    def _get_company_date_domain(self, field, operator):
        """``field operator today``, with each company's own today."""
        return expression.OR(
            [
                [
                    ("company_id", "=", company.id),
                    (field, operator, self._get_company_today(company)),
                ]
                for company in self.env["res.company"].sudo().search([])
            ]
        )

    @api.model
    def _cron_subscription_reminders(self, batch_size=200):
        """Remind customers of a trial ending and of a fixed term renewing."""
        trials = self.search(
            expression.AND(
                [
                    [
                        ("subscription_state", "=", "trial"),
                        ("trial_reminder_sent", "=", False),
                    ],
                    self._get_company_date_domain("trial_reminder_date", "<="),
                ]
            ),
            limit=batch_size,
        )
        renewals = self.search(
            expression.AND(
                [
                    [
                        ("subscription_state", "=", "active"),
                        ("renewal_reminder_sent", "=", False),
                    ],
                    self._get_company_date_domain("renewal_reminder_date", "<="),
                    self._get_company_date_domain("subscription_end_date", ">="),
                ]
            ),
            limit=batch_size,
        )
        for order in trials:
            order._send_subscription_mail("trial")
        trials.trial_reminder_sent = True
        for order in renewals:
            order._send_subscription_mail("renewal")
        renewals.renewal_reminder_sent = True
        done = len(trials) + len(renewals)
        self.env["ir.cron"]._notify_progress(
            done=done, remaining=batch_size if done >= batch_size else 0
        )

    # ------------------------------------------------------------
    # BUSINESS METHODS: INVOICING
    # ------------------------------------------------------------

    def _get_recurring_lines(self):
        self.ensure_one()
        return self.order_line.filtered(
            lambda line: not line.display_type and line.product_id.recurring_invoice
        )

    def _get_billing_period(self, due_date):
        """(start, end, full_start, full_end) of the period invoiced on ``due_date``.

        ``start`` and ``end`` are the dates billed; ``full_start`` and
        ``full_end`` the whole period they belong to, for proration.
        """
        self.ensure_one()
        plan = self.recurring_plan_id
        calendar_aligned = self.recurring_alignment == "calendar"
        anchor_day = self.billing_anchor_day
        billing_start = self.trial_end_date or self.subscription_start_date
        if self.recurring_invoicing_mode == "postpaid":
            full_end = due_date - timedelta(days=1)
            full_start = plan._previous_boundary(due_date, anchor_day, calendar_aligned)
        else:
            full_end = plan._next_boundary(
                due_date, anchor_day, calendar_aligned
            ) - timedelta(days=1)
            full_start = (
                plan._previous_boundary(full_end + timedelta(days=1), anchor_day, True)
                if calendar_aligned
                else due_date
            )
        start = max(full_start, billing_start) if billing_start else full_start
        end = full_end
        if self.subscription_end_date:
            end = min(end, self.subscription_end_date)
        return start, end, full_start, full_end

    def _next_invoice_date_after(self, due_date):
        self.ensure_one()
        return self.recurring_plan_id._next_boundary(
            due_date,
            self.billing_anchor_day,
            self.recurring_alignment == "calendar",
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
        self, period_start, period_end, due_date, one_off_lines=True
    ):
        """Values of the invoice of one billing period, lines included.

        :param one_off_lines: also bill the one-off lines not invoiced yet
            (set-up fees...); only the first of several invoices prepared
            together may, as none of them is created yet.
        """
        self.ensure_one()
        self._check_recurring_invoiceable()
        vals = self._prepare_invoice()
        if not vals.get("invoice_payment_term_id"):
            # Without payment terms Odoo would make a caught-up invoice due
            # on the day it is created; it is due on its own date.
            vals["invoice_date_due"] = due_date
        vals.update(
            {
                "invoice_date": due_date,
                "subscription_id": self.id,
                "subscription_period_start": period_start,
                "subscription_period_end": period_end,
            }
        )
        full_start, full_end = self._get_billing_period(due_date)[2:]
        # Usage is billed in arrears: on a prepaid invoice, the usage recorded
        # before the period starts; on a postpaid one, up to its end.
        usage_end = (
            period_end
            if self.recurring_invoicing_mode == "postpaid"
            else period_start - timedelta(days=1)
        )
        usage_start = self.usage_billed_until or (
            self.trial_end_date or self.subscription_start_date
        )
        metered = any(
            line.product_id.recurring_usage for line in self._get_recurring_lines()
        )
        usage = self._get_unbilled_usage(usage_start, usage_end) if metered else {}
        period = {
            "start": period_start,
            "end": period_end,
            "full_start": full_start,
            "full_end": full_end,
            "usage_start": usage_start,
            "usage_end": usage_end,
            "policy": self.recurring_template_id.proration_policy or "day",
        }
        lines = []
        # Descriptions (tiers, usage, proration) in the customer's language.
        lang = self.partner_id.lang
        for line in self._get_recurring_lines().with_context(lang=lang):
            usage_quantity = usage.get(line.product_id, (0.0,))[0]
            lines += line._prepare_recurring_invoice_lines(period, usage_quantity)
        if usage:
            usage_records = self.env["recurring.usage"].union(
                *(records for _quantity, records in usage.values())
            )
            vals["recurring_usage_ids"] = [
                Command.link(uid) for uid in usage_records.ids
            ]
        if metered and usage_end >= (usage_start or usage_end):
            self.usage_billed_until = usage_end + timedelta(days=1)
        # One-off lines (set-up fees...) and the adjustments of change orders
        # go on the first invoice that follows them.
        one_off = (self.order_line - self._get_recurring_lines()) | (
            self.subscription_change_order_ids.filtered(
                lambda order: order.state == "sale"
            ).order_line
        )
        for line in one_off:
            if not one_off_lines or line.display_type or not line.qty_to_invoice:
                continue
            lines.append(line._prepare_invoice_line())
        vals["invoice_line_ids"] = [Command.create(line_vals) for line_vals in lines]
        return vals

    def _get_unbilled_usage(self, date_from, date_to):
        """Usage recorded from ``date_from`` to ``date_to`` and not invoiced yet.

        :return: ``{product: (total quantity, usage records)}``
        """
        self.ensure_one()
        if not date_from or not date_to or date_to < date_from:
            return {}
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
        ``end_date``: the usage recorded since the last invoice, which no
        further period invoice will bill. ``None`` when there is none."""
        self.ensure_one()
        if self.recurring_invoicing_mode == "postpaid":
            return None
        metered = self._get_recurring_lines().filtered("product_id.recurring_usage")
        usage_start = self.usage_billed_until or (
            self.trial_end_date or self.subscription_start_date
        )
        usage = self._get_unbilled_usage(usage_start, end_date) if metered else {}
        if not usage:
            return None
        period = {"usage_start": usage_start, "usage_end": end_date}
        lines = []
        for line in metered.with_context(lang=self.partner_id.lang):
            usage_quantity = usage.get(line.product_id, (0.0,))[0]
            lines += line._prepare_recurring_invoice_lines(period, usage_quantity)
        self.usage_billed_until = end_date + timedelta(days=1)
        if not lines:
            return None
        invoice_date = end_date + timedelta(days=1)
        vals = self._prepare_invoice()
        if not vals.get("invoice_payment_term_id"):
            vals["invoice_date_due"] = invoice_date
        usage_records = self.env["recurring.usage"].union(
            *(records for _quantity, records in usage.values())
        )
        vals.update(
            {
                "invoice_date": invoice_date,
                # No period of its own: the lines carry the usage period.
                "subscription_id": self.id,
                "recurring_usage_ids": [Command.link(uid) for uid in usage_records.ids],
                "invoice_line_ids": [Command.create(line_vals) for line_vals in lines],
            }
        )
        return vals

    def _recurring_prepare_due(self, today):
        """Renew, close and prepare the invoices of this subscription up to ``today``.

        Missed periods are caught up one invoice per period, oldest first. The
        next invoice date moves past each period prepared: the caller must
        create the invoices in the same transaction (see
        :meth:`_recurring_create_invoices`).
        :return: the values of the invoices to create, oldest first
        """
        self.ensure_one()
        vals_list = []
        while self.subscription_state in BILLABLE_STATES and self.next_invoice_date:
            due_date = self.next_invoice_date
            start, end = self._get_billing_period(due_date)[:2]
            end_date = self.subscription_end_date
            if end_date and start > end_date:
                if end_date >= today:
                    break
                if (
                    self.subscription_state != "to_close"
                    and self.recurring_template_id.term_type == "fixed"
                    and self.recurring_template_id.auto_renew
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
            vals = self._prepare_recurring_invoice_vals(
                start, end, due_date, one_off_lines=not vals_list
            )
            # Nothing to bill (a part of a period not prorated): no empty invoice.
            if vals["invoice_line_ids"]:
                vals_list.append(vals)
            # The invoice records the period; a tracking message per period in
            # the chatter would only repeat it. Manual changes stay tracked.
            self.with_context(
                mail_notrack=True
            ).next_invoice_date = self._next_invoice_date_after(due_date)
        return vals_list

    @api.model
    def _recurring_create_invoices(self, vals_list):
        """Create the subscription invoices of ``vals_list`` in one go per
        company, post those whose template says so, and queue them for Odoo's
        own sending job (PDF + email).

        Odoo's invoice creation and posting work on recordsets: computes,
        sequence numbers, hashes and tracking are done once for the batch
        instead of once per invoice, and nothing an accountant relies on is
        skipped.
        """
        moves = self.env["account.move"]
        vals_by_company = defaultdict(list)
        for vals in vals_list:
            vals_by_company[vals["company_id"]].append(vals)
        for company_id, company_vals in vals_by_company.items():
            moves |= (
                self.env["account.move"]
                .with_company(company_id)
                .with_context(default_move_type="out_invoice")
                .create(company_vals)
            )
        to_post = moves.filtered(
            lambda move: not move.subscription_id.recurring_template_id
            or move.subscription_id.recurring_template_id.auto_post
        )
        if to_post:
            to_post.action_post()
        to_send = to_post.filtered(
            lambda move: move.subscription_id._get_subscription_mail_template("invoice")
        )
        if to_send:
            to_send.sending_data = {
                "author_user_id": self.env.user.id,
                "author_partner_id": self.env.user.partner_id.id,
                "sending_methods": ["email"],
            }
        return moves

    def _recurring_invoice_due(self, today):
        """Renew, close and invoice this subscription up to ``today``.

        :return: the invoices created
        """
        self.ensure_one()
        return self._recurring_create_invoices(self._recurring_prepare_due(today))

    def _recurring_invoice_batch(self):
        """Invoice these subscriptions together, each up to its company's today.

        All or nothing: any error leaves the caller to roll back and retry the
        subscriptions one at a time (:meth:`_recurring_invoice_one_by_one`).
        """
        vals_list = []
        for subscription in self:
            subscription = subscription.with_company(subscription.company_id)
            today = subscription._get_company_today()
            vals_list += subscription._recurring_prepare_due(today)
        return self._recurring_create_invoices(vals_list)

    def _recurring_invoice_one_by_one(self):
        """Invoice these subscriptions one at a time, each in its own savepoint:
        one that fails is flagged with the reason, the others are billed."""
        invoiced = self.env["account.move"]
        for subscription in self:
            subscription = subscription.with_company(subscription.company_id)
            today = subscription._get_company_today()
            try:
                with self.env.cr.savepoint():
                    invoiced |= subscription._recurring_invoice_due(today)
            except CONTENTION_ERRORS:
                raise
            except pg_errors.UniqueViolation:
                # Another run billed this period first: nothing is lost.
                _logger.info(
                    "Subscription %s: period already invoiced by another run.",
                    subscription.id,
                )
                subscription.invalidate_recordset()
            except Exception as error:  # noqa: BLE001 - isolate one bad record
                _logger.warning(
                    "Subscription %s could not be invoiced: %s", subscription.id, error
                )
                subscription.invalidate_recordset()
                subscription._recurring_flag_error(error)
        return invoiced

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
        return expression.AND(
            [
                [
                    ("is_subscription", "=", True),
                    ("state", "=", "sale"),
                    ("subscription_state", "in", BILLABLE_STATES),
                    ("next_invoice_date", "!=", False),
                    ("recurring_billing_error", "=", False),
                ],
                expression.OR(
                    [
                        self._get_company_date_domain("next_invoice_date", "<="),
                        self._get_company_date_domain("subscription_end_date", "<"),
                    ]
                ),
            ]
        )

    def _lock_for_invoicing(self):
        """Lock these subscriptions, skipping those another worker holds."""
        if not self:
            return self
        self.env.cr.execute(
            "SELECT id FROM sale_order WHERE id IN %s "
            "ORDER BY id FOR NO KEY UPDATE SKIP LOCKED",
            [tuple(self.ids)],
        )
        locked_ids = {row[0] for row in self.env.cr.fetchall()}
        return self.filtered(lambda order: order.id in locked_ids)

    @api.model
    def _cron_recurring_invoice(self, batch_size=100):
        """Bill one batch of due subscriptions; the cron framework commits
        after each call and calls again while work remains."""
        domain = self._get_subscriptions_to_invoice_domain()
        candidates = self.search(
            domain, order="next_invoice_date, id", limit=batch_size
        )
        subscriptions = candidates._lock_for_invoicing()
        try:
            with self.env.cr.savepoint():
                invoiced = subscriptions._recurring_invoice_batch()
        except CONTENTION_ERRORS:
            raise
        except Exception as error:  # noqa: BLE001 - retried one at a time below
            _logger.info(
                "Batch of %s subscriptions rolled back (%s): "
                "invoicing them one at a time.",
                len(subscriptions),
                error,
            )
            invoiced = subscriptions._recurring_invoice_one_by_one()
        if invoiced.filtered("sending_data"):
            self.env.ref("account.ir_cron_account_move_send")._trigger()
        remaining = self.search_count(domain) - (len(candidates) - len(subscriptions))
        self.env["ir.cron"]._notify_progress(
            done=len(subscriptions), remaining=max(remaining, 0)
        )
        return invoiced
