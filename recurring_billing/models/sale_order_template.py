# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import re

from odoo import api, fields, models
from odoo.exceptions import ValidationError

DEFAULT_MAIL_TEMPLATES = {
    "welcome": "recurring_billing.mail_template_subscription_welcome",
    "trial": "recurring_billing.mail_template_subscription_trial_ending",
    "renewal": "recurring_billing.mail_template_subscription_renewal_reminder",
    "pause": "recurring_billing.mail_template_subscription_paused",
    "resume": "recurring_billing.mail_template_subscription_resumed",
    "close": "recurring_billing.mail_template_subscription_closed",
    "invoice": "account.email_template_edi_invoice",
    "payment": "recurring_billing.mail_template_subscription_payment_received",
}


class SaleOrderTemplate(models.Model):
    """A quotation template with a recurring plan is a subscription template:
    its lines are the subscription's lines, its optional products the add-ons
    a subscriber may add or remove at any time."""

    _inherit = "sale.order.template"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    plan_id = fields.Many2one(
        "recurring.plan",
        string="Recurring Plan",
        check_company=True,
        ondelete="restrict",
        index="btree_not_null",
        help="Quotations made from this template are subscriptions invoiced "
        "on this plan. Leave empty for one-off quotations.",
    )
    trial_days = fields.Integer(
        string="Trial (days)",
        help="Days of free trial before the first invoice.",
    )
    invoicing_mode = fields.Selection(
        [
            ("prepaid", "In advance (prepaid)"),
            ("postpaid", "In arrears (postpaid)"),
        ],
        required=True,
        default="prepaid",
    )
    alignment = fields.Selection(
        [
            ("anniversary", "Anniversary of the start date"),
            ("calendar", "Calendar period (first period prorated)"),
        ],
        string="Billing Date Alignment",
        required=True,
        default="anniversary",
    )
    term_type = fields.Selection(
        [("open", "Open-ended"), ("fixed", "Fixed term")],
        required=True,
        default="open",
    )
    term_duration = fields.Integer(
        default=12, help="Length of a fixed term, in months."
    )
    auto_renew = fields.Boolean(
        string="Automatic Renewal",
        default=True,
        help="Renew a fixed term automatically at its end.",
    )
    notice_days = fields.Integer(
        string="Notice Period (days)",
        help="Days between a cancellation and the end of the period it takes "
        "effect at: a cancellation that comes later ends the subscription at "
        "the end of a following period.",
    )
    minimum_commitment_months = fields.Integer(
        string="Minimum Commitment (months)",
        help="Months from the start date before which a subscription cannot "
        "end: a cancellation takes effect at the end of the first period "
        "that ends on or after the start date plus this many months, less a "
        "day (the back office's Cancel button and the customer portal alike). "
        "0: no minimum. A free trial can still be stopped at once.",
    )
    renewal_reminder_days = fields.Integer(
        default=30,
        help="Days before each renewal of a fixed term at which the customer is "
        "reminded (required for consumer contracts in France).",
    )
    payment_term_id = fields.Many2one(
        "account.payment.term", check_company=True, ondelete="restrict"
    )
    auto_post = fields.Boolean(
        string="Post Invoices Automatically",
        default=True,
        help="Post the invoices created by the recurring-invoicing job; "
        "otherwise they are left in draft for review.",
    )
    auto_charge = fields.Boolean(
        string="Charge Automatically",
        help="Subscriptions made from this template pay each posted invoice "
        "automatically with the customer's saved payment method (card, SEPA "
        "mandate).",
    )
    charge_delay_days = fields.Integer(
        string="Charge Delay (days)",
        help="Days between the invoice and its automatic charge. For SEPA "
        "Direct Debit, the customer is told of the amount and date of the "
        "debit this many days before (pre-notification, at least the notice "
        "agreed in the mandate).",
    )
    proration_policy = fields.Selection(
        [
            ("day", "By day"),
            ("none", "None"),
            ("full", "Full period"),
        ],
        default="day",
        required=True,
        help="How a part of a period is billed (a first period cut by calendar "
        "alignment, a change or a cancellation in the middle of a period):\n"
        "By day: in proportion to the days of the period.\n"
        "None: the part is not billed, nor credited.\n"
        "Full period: the part is billed as a whole period.",
    )
    upsell_billing = fields.Selection(
        [
            ("immediate", "Immediately"),
            ("next_invoice", "On the next invoice"),
        ],
        string="Bill Upgrades",
        default="immediate",
        required=True,
        help="When an upgrade in the middle of a prepaid period is billed.",
    )
    credit_on_close = fields.Boolean(
        string="Credit Unused Days on Cancellation",
        help="When a prepaid subscription is closed before the end of its "
        "period, issue a credit note for the days not used.",
    )
    pausable = fields.Boolean(
        string="Customers Can Pause",
        help="Subscribers may pause and resume their subscription themselves "
        "on the customer portal.",
    )
    switch_product_ids = fields.Many2many(
        "product.product",
        "sale_order_template_switch_product_rel",
        "template_id",
        "product_id",
        string="Offers Customers Can Switch To",
        check_company=True,
        domain="[('recurring_invoice', '=', True)]",
        help="Subscription products a subscriber may switch between on the "
        "customer portal (from Starter to Pro, say): the subscription's line "
        "of one of them is set to another, with the same quantity, and the "
        "rest of the period is prorated as the Change wizard does. Empty: "
        "the portal offers no change of offer.",
    )
    online_published = fields.Boolean(
        string="Published Online",
        copy=False,
        help="Anyone may take this subscription on its public subscribe page "
        "(/subscribe/<online address>), pay online and save their payment "
        "method.",
    )
    online_slug = fields.Char(
        string="Online Address",
        copy=False,
        help="The end of the subscribe page's address: lower-case letters, "
        "digits and dashes.",
    )
    online_description = fields.Html(
        string="Offer Description",
        translate=True,
        help="What the subscribe page says of the offer (the essential "
        "characteristics of the service, Code de la consommation L111-1).",
    )
    online_terms = fields.Html(
        string="Terms and Conditions",
        translate=True,
        help="The terms the customer accepts on the subscribe page, sent back "
        "to them in the confirmation email.",
    )
    online_terms_version = fields.Char(
        string="Terms Version",
        default="1",
        help="Recorded with each acceptance: change it when the terms change.",
    )
    trial_reminder_days = fields.Integer(
        default=3,
        help="Days before the end of the trial at which the customer is reminded.",
    )
    # Communications: an empty template turns that message off.
    welcome_mail_template_id = fields.Many2one(
        "mail.template",
        string="Welcome",
        domain="[('model', '=', 'sale.order')]",
        default=lambda self: self._default_mail_template("welcome"),
    )
    trial_mail_template_id = fields.Many2one(
        "mail.template",
        string="Trial Ending",
        domain="[('model', '=', 'sale.order')]",
        default=lambda self: self._default_mail_template("trial"),
    )
    renewal_mail_template_id = fields.Many2one(
        "mail.template",
        string="Renewal Reminder",
        domain="[('model', '=', 'sale.order')]",
        default=lambda self: self._default_mail_template("renewal"),
    )
    pause_mail_template_id = fields.Many2one(
        "mail.template",
        string="Pause Confirmation",
        domain="[('model', '=', 'sale.order')]",
        default=lambda self: self._default_mail_template("pause"),
    )
    resume_mail_template_id = fields.Many2one(
        "mail.template",
        string="Resume Confirmation",
        domain="[('model', '=', 'sale.order')]",
        default=lambda self: self._default_mail_template("resume"),
    )
    close_mail_template_id = fields.Many2one(
        "mail.template",
        string="Cancellation Confirmation",
        domain="[('model', '=', 'sale.order')]",
        default=lambda self: self._default_mail_template("close"),
    )
    invoice_mail_template_id = fields.Many2one(
        "mail.template",
        string="Invoice",
        domain="[('model', '=', 'account.move')]",
        default=lambda self: self._default_mail_template("invoice"),
        help="Invoices are sent by email, with their PDF, by Odoo's invoice-"
        "sending job right after the recurring-invoicing job posts them.",
    )
    payment_mail_template_id = fields.Many2one(
        "mail.template",
        string="Payment Received",
        domain="[('model', '=', 'account.move')]",
        default=lambda self: self._default_mail_template("payment"),
    )

    _sql_constraints = [
        (
            "online_slug_uniq",
            "unique(online_slug)",
            "Two subscription templates cannot have the same online address.",
        ),
    ]

    # ------------------------------------------------------------
    # DEFAULT METHODS
    # ------------------------------------------------------------

    @api.model
    def _default_mail_template(self, kind):
        """The mail template used for ``kind`` when a template does not say."""
        return self.env.ref(DEFAULT_MAIL_TEMPLATES[kind], raise_if_not_found=False)

    # ------------------------------------------------------------
    # CONSTRAINT METHODS
    # ------------------------------------------------------------

    @api.constrains(
        "trial_days",
        "trial_reminder_days",
        "term_duration",
        "notice_days",
        "minimum_commitment_months",
        "renewal_reminder_days",
        "term_type",
        "charge_delay_days",
    )
    def _check_durations(self):
        for template in self:
            if (
                min(
                    template.trial_days,
                    template.trial_reminder_days,
                    template.notice_days,
                    template.minimum_commitment_months,
                    template.renewal_reminder_days,
                    template.charge_delay_days,
                )
                < 0
            ):
                raise ValidationError(
                    self.env._(
                        "Template %(template)s: trial, notice, minimum commitment, "
                        "reminder and charge durations cannot be negative.",
                        template=template.name,
                    )
                )
            if template.term_type == "fixed" and template.term_duration <= 0:
                raise ValidationError(
                    self.env._(
                        "Template %(template)s: a fixed term must last at least "
                        "one month.",
                        template=template.name,
                    )
                )

    @api.constrains("online_published", "online_slug", "plan_id")
    def _check_online_publication(self):
        for template in self.filtered("online_published"):
            if not template.plan_id:
                raise ValidationError(
                    self.env._(
                        "Template %(template)s: only a subscription template "
                        "(with a recurring plan) can be published online.",
                        template=template.name,
                    )
                )
            if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", template.online_slug or ""):
                raise ValidationError(
                    self.env._(
                        "Template %(template)s: its online address may only "
                        "hold lower-case letters, digits and dashes.",
                        template=template.name,
                    )
                )

    @api.constrains("switch_product_ids", "company_id")
    def _check_switch_products(self):
        for template in self:
            foreign = template.switch_product_ids.filtered(
                lambda product, template=template: product.company_id
                and product.company_id != template.company_id
            )
            if foreign:
                raise ValidationError(
                    self.env._(
                        "Template %(template)s: %(products)s belong to another "
                        "company than the template.",
                        template=template.name,
                        products=", ".join(foreign.mapped("display_name")),
                    )
                )
            wrong = template.switch_product_ids.filtered(
                lambda product: not product.recurring_invoice
            )
            if wrong:
                raise ValidationError(
                    self.env._(
                        "Template %(template)s: subscribers can only switch to "
                        "subscription products, which %(products)s are not.",
                        template=template.name,
                        products=", ".join(wrong.mapped("display_name")),
                    )
                )
