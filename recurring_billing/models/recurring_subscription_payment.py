# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.exceptions import ValidationError


class RecurringSubscriptionPayment(models.AbstractModel):
    """How a subscription pays: its saved payment method, whether its invoices
    are charged automatically, and what happens when a charge fails."""

    _name = "recurring.subscription.payment"
    _description = "Subscription Automatic Payment"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    recurring_commercial_partner_id = fields.Many2one(
        "res.partner",
        compute="_compute_recurring_commercial_partner_id",
        string="Commercial Customer",
    )
    payment_token_id = fields.Many2one(
        "payment.token",
        string="Payment Method",
        copy=False,
        tracking=True,
        check_company=True,
        index="btree_not_null",
        ondelete="restrict",
        domain="[('partner_id', 'child_of', recurring_commercial_partner_id)]",
        help="The customer's saved payment method (card, SEPA mandate...) that "
        "pays the subscription's invoices automatically. Set by the customer "
        "when paying online, or here.",
    )
    payment_token_expiry_date = fields.Date(
        related="payment_token_id.expiry_date", string="Payment Method Expires On"
    )
    recurring_prepayment_tx_id = fields.Many2one(
        "payment.transaction",
        string="Paid in Advance By",
        readonly=True,
        copy=False,
        help="The online payment of the quotation, made before its first "
        "invoice was due (a trial, a later start): that invoice is paid with "
        "it when it is posted, never charged again.",
    )
    recurring_payment_mode = fields.Selection(
        [
            ("manual", "Manual (the customer pays each invoice)"),
            ("auto", "Charged automatically"),
        ],
        string="Payment",
        compute="_compute_recurring_payment_mode",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
        help="Charged automatically: each posted invoice is charged with the "
        "saved payment method, after the template's delay.",
    )
    recurring_charge_ids = fields.One2many(
        "payment.transaction",
        compute="_compute_recurring_charge_ids",
        string="Automatic Charges",
    )
    recurring_charge_count = fields.Integer(compute="_compute_recurring_charge_ids")
    recurring_last_charge_id = fields.Many2one(
        "payment.transaction",
        compute="_compute_recurring_charge_ids",
        string="Last Charge",
    )
    recurring_last_charge_state = fields.Selection(
        selection=lambda self: self.env["payment.transaction"]
        ._fields["state"]
        ._description_selection(self.env),
        compute="_compute_recurring_charge_ids",
        string="Last Charge Status",
    )
    recurring_last_charge_failure = fields.Selection(
        selection=lambda self: self.env["payment.transaction"]
        ._fields["failure_class"]
        ._description_selection(self.env),
        compute="_compute_recurring_charge_ids",
        string="Last Failure",
    )

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    @api.depends("partner_id")
    def _compute_recurring_commercial_partner_id(self):
        for order in self:
            order.recurring_commercial_partner_id = (
                order.partner_id.commercial_partner_id
            )

    @api.depends("sale_order_template_id")
    def _compute_recurring_payment_mode(self):
        for order in self:
            template = order.sale_order_template_id
            if template:
                order.recurring_payment_mode = (
                    "auto" if template.auto_charge else "manual"
                )
            elif not order.recurring_payment_mode:
                order.recurring_payment_mode = "manual"

    @api.depends("subscription_invoice_ids")
    def _compute_recurring_charge_ids(self):
        charges = self.env["payment.transaction"].sudo()
        if self.ids:
            charges = charges.search(
                [("recurring_invoice_id.subscription_id", "in", self.ids)],
                order="id desc",
            )
        by_order = charges.grouped(lambda tx: tx.recurring_invoice_id.subscription_id)
        for order in self:
            order_charges = by_order.get(order._origin, charges.browse())
            order.recurring_charge_ids = order_charges.sudo(False)
            order.recurring_charge_count = len(order_charges)
            order.recurring_last_charge_id = order_charges[:1].sudo(False)
            order.recurring_last_charge_state = order_charges[:1].state
            order.recurring_last_charge_failure = order_charges[:1].failure_class

    # ------------------------------------------------------------
    # CONSTRAINT METHODS
    # ------------------------------------------------------------

    @api.constrains("payment_token_id", "partner_id", "company_id")
    def _check_payment_token(self):
        for order in self.filtered("payment_token_id"):
            message = order._recurring_check_token(order.payment_token_id)
            if message:
                raise ValidationError(message)

    # ------------------------------------------------------------
    # ACTION METHODS
    # ------------------------------------------------------------

    def action_view_recurring_charges(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "payment.action_payment_transaction"
        )
        action["domain"] = [("recurring_invoice_id.subscription_id", "=", self.id)]
        action["context"] = {"create": False}
        return action

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _recurring_check_token(self, token):
        """Why ``token`` cannot pay this subscription, or ``False``.

        :return: a translated message, or ``False``
        """
        self.ensure_one()
        token = token.sudo()
        if not token.active:
            return self.env._(
                "The payment method %(token)s is archived: it cannot pay the "
                "subscription %(subscription)s.",
                token=token.display_name,
                subscription=self.display_name,
            )
        if (
            token.partner_id.commercial_partner_id
            != self.partner_id.commercial_partner_id
        ):
            return self.env._(
                "The payment method %(token)s belongs to %(owner)s, not to the "
                "customer of the subscription %(subscription)s (%(customer)s).",
                token=token.display_name,
                owner=token.partner_id.display_name,
                subscription=self.display_name,
                customer=self.partner_id.commercial_partner_id.display_name,
            )
        if token.company_id != self.company_id:
            return self.env._(
                "The payment method %(token)s belongs to the company %(company)s: "
                "it cannot pay the subscription %(subscription)s of %(own)s.",
                token=token.display_name,
                company=token.company_id.display_name,
                subscription=self.display_name,
                own=self.company_id.display_name,
            )
        return False

    def _recurring_set_payment_token(self, token):
        """Make ``token`` the subscription's payment method and say so."""
        self.ensure_one()
        previous = self.payment_token_id
        self.sudo().payment_token_id = token
        self.sudo().message_post(
            body=self.env._(
                "Payment method replaced: %(old)s → %(new)s.",
                old=previous.display_name or "-",
                new=token.display_name,
            )
        )

    def _recurring_token_outdated(self, new_token):
        """Whether ``new_token`` should replace the subscription's payment
        method: there is none, it is archived, or it expires before the new."""
        self.ensure_one()
        token = self.payment_token_id
        if not token or not token.active:
            return True
        if token.provider_id != new_token.provider_id:
            return False
        return bool(
            token.expiry_date
            and (not new_token.expiry_date or token.expiry_date < new_token.expiry_date)
        )

    def _recurring_payment_failed(self, invoice, transaction, reason):
        """Hand-off of an invoice that was not paid automatically.

        Called once per failed charge (a decline of the provider, never a
        charge that was skipped nor one whose outcome is unknown). The dunning
        addon overrides it to chase the invoice and retry the payment as its
        policy says; without it, the subscription's salesperson gets an
        activity.

        :param account.move invoice: the subscription invoice left unpaid
        :param payment.transaction transaction: the failed charge
        :param str reason: why, for a human
        """
        self.ensure_one()
        self._recurring_schedule_unpaid_activity(invoice, reason)

    def _recurring_payment_skipped(self, invoice, reason):
        """Hand-off of an invoice that was not charged at all (no payment
        method, provider disabled or in test mode, a payment already started
        by the customer...). It is no decline: the customer is sent nothing,
        and the invoice is chased as one paid by hand, from its due date;
        the subscription's salesperson gets an activity.

        :param account.move invoice: the subscription invoice left unpaid
        :param str reason: why, for a human
        """
        self.ensure_one()
        self._recurring_schedule_unpaid_activity(invoice, reason)

    def _recurring_schedule_unpaid_activity(self, invoice, reason):
        self.ensure_one()
        self.sudo().activity_schedule(
            "mail.mail_activity_data_todo",
            summary=self.env._(
                "Invoice %(invoice)s was not paid automatically",
                invoice=invoice.name,
            ),
            note=reason,
            user_id=(self.user_id or self.env.user).id,
        )
