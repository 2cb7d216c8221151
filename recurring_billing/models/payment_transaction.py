# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging

from odoo import Command, api, fields, models

from ..tools.payment_failure import classify_failure

_logger = logging.getLogger(__name__)

# A charge in one of these states may still collect money: at most one per
# invoice at a time.
LIVE_STATES = ("draft", "pending", "authorized")


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    recurring_invoice_id = fields.Many2one(
        "account.move",
        string="Automatic Charge Of",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="restrict",
        help="The subscription invoice this transaction charges automatically "
        "with the subscription's saved payment method. An invoice has at most "
        "one such charge in progress at a time.",
    )
    recurring_subscription_id = fields.Many2one(
        "sale.order",
        string="Payment Method Of",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        help="The subscription whose payment method the customer replaced "
        "with this transaction, from the subscription's page on the customer "
        "portal: the payment method saved becomes this subscription's.",
    )
    recurring_signup_id = fields.Many2one(
        "recurring.signup",
        string="Online Signup",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        help="The subscription taken on the subscribe page that this "
        "transaction pays (or whose payment method it saves, for a trial): "
        "the customer and the subscription are created when it succeeds.",
    )
    error_code = fields.Char(
        readonly=True,
        copy=False,
        help="The error code given by the payment provider (e.g. card_declined, "
        "authentication_required).",
    )
    decline_code = fields.Char(
        readonly=True,
        copy=False,
        help="Why the issuer declined the payment (e.g. insufficient_funds, "
        "lost_card), when the provider says.",
    )
    advice_code = fields.Char(
        readonly=True,
        copy=False,
        help="What the issuer advises (try_again_later, do_not_try_again, "
        "confirm_card_data), when the provider says.",
    )
    recurring_outcome_unknown = fields.Boolean(
        string="Outcome Unknown",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The charge was sent to the payment provider and its answer was "
        "not received (connection cut, server error, timeout, worker stopped). "
        "The provider is asked again what became of it; no other attempt is "
        "made for the invoice meanwhile.",
    )
    recurring_sent_datetime = fields.Datetime(
        string="Sent On",
        readonly=True,
        copy=False,
        help="When the charge was last sent to the payment provider (recorded "
        "before sending).",
    )
    recurring_send_count = fields.Integer(
        string="Times Sent",
        readonly=True,
        copy=False,
        help="How many times the charge was sent, always with the same "
        "reference and idempotency key.",
    )
    recurring_checked_datetime = fields.Datetime(
        string="Last Asked On",
        readonly=True,
        copy=False,
        help="When the payment provider was last asked what became of the charge.",
    )
    failure_class = fields.Selection(
        [
            ("soft", "Soft: retry later"),
            ("hard", "Hard: new payment method needed"),
            ("customer", "Customer action needed (authentication)"),
        ],
        string="Failure Type",
        compute="_compute_failure_class",
        store=True,
        help="Soft: the payment may succeed later, it is retried.\n"
        "Hard: the payment method will never work again; the customer is asked "
        "for another one.\n"
        "Customer action: the bank asks the customer to authenticate (3-D "
        "Secure); they receive a link to pay the invoice themselves.",
    )

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    @api.depends("state", "error_code", "decline_code", "advice_code")
    def _compute_failure_class(self):
        for tx in self:
            if tx.state in ("error", "cancel"):
                tx.failure_class = classify_failure(
                    tx.error_code, tx.decline_code, tx.advice_code
                )
            else:
                tx.failure_class = False

    # ------------------------------------------------------------
    # CONSTRAINT METHODS
    # ------------------------------------------------------------

    @api.constrains("token_id")
    def _check_token_is_active(self):
        """Override of `payment`, whose check reads ``token_id`` as if only
        one transaction were created at a time: the charge job creates the
        transactions of a batch together, each with its own token."""
        for tx in self:
            super(PaymentTransaction, tx)._check_token_is_active()

    # ------------------------------------------------------------
    # CRUD METHODS
    # ------------------------------------------------------------

    def init(self):
        res = super().init()
        # One live automatic charge per invoice, whatever charges it (two
        # cron workers, a retry during a webhook...): the database decides.
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS payment_transaction_recurring_live_uniq
                ON payment_transaction (recurring_invoice_id)
             WHERE recurring_invoice_id IS NOT NULL
               AND state IN ('draft', 'pending', 'authorized')
            """
        )
        return res

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _process_notification_data(self, notification_data):
        """Override of `payment`: an answer of the provider about an automatic
        charge settles what was unknown of it.

        The payment of an online signup is made before its customer exists,
        in the name of Odoo's public partner: the payment method the provider
        saves is given to the new customer as soon as the payment succeeds,
        in the same database transaction, or archived if it failed, so that
        no saved method of the public partner is ever committed."""
        signup_pending = self.recurring_signup_id and self.partner_id.is_public
        tx = (
            self.with_context(recurring_signup_tokenize=True)
            if signup_pending
            else self
        )
        super(PaymentTransaction, tx)._process_notification_data(notification_data)
        if self.recurring_outcome_unknown:
            self.recurring_outcome_unknown = False
        if self.recurring_signup_id:
            if self.state == "done":
                self.recurring_signup_id._complete(self)
            elif self.state in ("error", "cancel"):
                self.recurring_signup_id._payment_failed(self)
            elif signup_pending and self.token_id:
                # Still pending (a SEPA debit...): the method stays archived,
                # unusable, until the payment succeeds.
                self.token_id.active = False

    def _post_process(self):
        """Record the outcome of automatic charges on their invoice, and let a
        payment the customer made online with a new saved payment method
        replace the one of the subscription (Odoo pays and reconciles the
        invoice in ``super()``)."""
        for tx in self.filtered("recurring_signup_id"):
            if tx.state == "done":
                tx.recurring_signup_id._complete(tx)
            elif tx.state in ("error", "cancel"):
                tx.recurring_signup_id._payment_failed(tx)
        res = super()._post_process()
        for tx in self.filtered("recurring_invoice_id"):
            tx.recurring_invoice_id._recurring_record_charge_outcome(tx)
        self.filtered(
            lambda tx: tx.state == "done"
            and tx.token_id
            and not tx.recurring_invoice_id
            and tx.operation != "offline"
        )._recurring_replace_subscription_tokens()
        return res

    def _check_amount_and_confirm_order(self):
        """Override of `sale`: a subscription quotation signed and paid online
        is confirmed by Odoo; its first invoice is then created at once and
        linked to the transaction, so that the payment Odoo records pays it."""
        confirmed = super()._check_amount_and_confirm_order()
        for tx in self.filtered(
            lambda tx: tx.state == "done" and tx.operation != "validation"
        ):
            for order in (tx.sale_order_ids & confirmed).filtered("is_subscription"):
                order = order.sudo().with_company(order.company_id)
                invoices = order._recurring_invoice_due(order.company_id._get_today())
                if invoices:
                    tx.invoice_ids = [Command.link(invoice.id) for invoice in invoices]
                else:
                    # A trial or a later start: the payment waits for the
                    # first invoice (see ``account.move._post``).
                    order.recurring_prepayment_tx_id = tx
        return confirmed

    def _invoice_sale_orders(self):
        """Override of `sale`: subscriptions are invoiced by their own
        engine (see ``_check_amount_and_confirm_order``), never by Odoo's
        automatic invoicing of paid orders."""
        return super(
            PaymentTransaction,
            self.filtered(
                lambda tx: not any(tx.sale_order_ids.mapped("is_subscription"))
            ),
        )._invoice_sale_orders()

    @api.model
    def _recurring_prepare_sent_vals(self, sent_count=0):
        """The values recording that an automatic charge is being sent to its
        provider: written and committed before the request leaves, so that a
        lost answer is known to be unknown.

        :param int sent_count: how many times it was sent before
        """
        now = fields.Datetime.now()
        return {
            "recurring_outcome_unknown": True,
            "recurring_sent_datetime": now,
            "recurring_checked_datetime": now,
            "recurring_send_count": sent_count + 1,
        }

    def _recurring_query_provider(self):
        """Ask the provider what became of this charge, whose answer was lost
        or is still awaited, and process its answer as a notification.

        Payment providers that can be asked override it (see
        ``recurring_billing_stripe``).

        :return: ``True`` when the provider answered about the payment (the
            transaction is updated), ``False`` when the provider says it never
            received it (it may be sent again, with the same reference and
            idempotency key), ``None`` when the provider cannot be asked
        """
        self.ensure_one()
        return None

    def _recurring_replace_subscription_tokens(self):
        """The customer paid an invoice of a subscription online and saved the
        payment method, or saved a new one from the portal: it becomes the
        subscription's payment method.

        - a payment of a subscription invoice: that subscription;
        - a payment method saved without payment (``validation``) from a
          subscription's page: that subscription;
        - another payment method saved without payment: the customer's
          subscriptions whose method is missing, archived, or expires before
          the new one.
        """
        SaleOrder = self.env["sale.order"].sudo()
        for tx in self.sudo():
            token = tx.token_id
            partner = token.partner_id.commercial_partner_id
            if tx.operation == "validation" and tx.recurring_subscription_id:
                tx.recurring_subscription_id._portal_payment_method_saved(
                    token, tx.partner_id
                )
                continue
            if tx.operation == "validation":
                subscriptions = SaleOrder.search(
                    [
                        ("is_subscription", "=", True),
                        ("partner_id.commercial_partner_id", "=", partner.id),
                        ("company_id", "=", token.company_id.id),
                        (
                            "subscription_state",
                            "in",
                            SaleOrder._get_running_states(),
                        ),
                    ]
                ).filtered(
                    lambda sub, token=token: sub._recurring_token_outdated(token)
                )
            else:
                subscriptions = tx.invoice_ids.subscription_id | (
                    tx.sale_order_ids.filtered(
                        lambda order: order.is_subscription and order.state == "sale"
                    )
                )
            for subscription in subscriptions:
                if subscription.payment_token_id == token:
                    continue
                if subscription._recurring_check_token(token):
                    continue  # A token the subscription cannot hold.
                subscription._recurring_set_payment_token(token)
