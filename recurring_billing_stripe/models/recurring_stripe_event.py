# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import json
import logging
from datetime import datetime, timedelta

from psycopg2 import errors as pg_errors

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from odoo.addons.payment_stripe.const import HANDLED_WEBHOOK_EVENTS

from .. import const

_logger = logging.getLogger(__name__)


class RecurringStripeEvent(models.Model):
    _name = "recurring.stripe.event"
    _description = "Stripe Webhook Event"
    _order = "received_datetime desc, id desc"
    _rec_name = "stripe_event_id"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    stripe_event_id = fields.Char(
        string="Stripe Event ID",
        required=True,
        readonly=True,
        help="Identifier of the event at Stripe (evt_...). Stripe may deliver an "
        "event more than once: it is recorded only once.",
    )
    event_type = fields.Char(
        readonly=True,
        help="Type of the event at Stripe, e.g. payment_intent.succeeded.",
    )
    provider_id = fields.Many2one(
        comodel_name="payment.provider",
        string="Payment Provider",
        required=True,
        readonly=True,
        ondelete="restrict",
        index=True,
        domain=[("code", "=", "stripe")],
    )
    company_id = fields.Many2one(
        related="provider_id.company_id",
        store=True,
        index=True,
    )
    object_id = fields.Char(
        string="Stripe Object",
        readonly=True,
        index="btree_not_null",
        help="The Stripe object the event is about (pm_..., mandate_..., du_...).",
    )
    created_datetime = fields.Datetime(
        string="Created At Stripe",
        readonly=True,
        help="When the event happened at Stripe: events may arrive late and in "
        "any order.",
    )
    received_datetime = fields.Datetime(
        string="Received On",
        required=True,
        readonly=True,
        default=fields.Datetime.now,
    )
    state = fields.Selection(
        string="Status",
        selection=[
            ("received", "Received"),
            ("unmatched", "Unmatched"),
            ("processed", "Processed"),
            ("ignored", "Ignored"),
            ("error", "Error"),
        ],
        required=True,
        default="received",
        readonly=True,
        help="Received: recorded, not processed yet.\n"
        "Unmatched: a payment event whose transaction was not found in Odoo. "
        "Stripe is answered so that it delivers the event again, and the "
        "event is matched again with the transactions every quarter of an "
        "hour (or with Process Again).\n"
        "Processed: its effect is recorded in Odoo.\n"
        "Ignored: nothing in Odoo is concerned by it.\n"
        "Error: processing it failed; see the error message.",
    )
    error_message = fields.Text(readonly=True)
    payload = fields.Text(
        readonly=True,
        groups="base.group_system,account.group_account_invoice",
        help="The event as Stripe sent it (signature verified), kept to "
        "process it again.",
    )

    # ------------------------------------------------------------
    # SQL CONSTRAINTS
    # ------------------------------------------------------------

    _sql_constraints = [
        (
            "stripe_event_id_unique",
            "UNIQUE(stripe_event_id)",
            "A Stripe event is recorded only once.",
        ),
    ]

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    @api.model
    def _record_event(self, provider, event):
        """Record a Stripe webhook event once, whatever the number of its
        deliveries.

        Called by the webhook handling, which runs as the public user: the
        event is searched and created as superuser and returned sudoed.

        :param payment.provider provider: The Stripe provider that received it.
        :param dict event: The event as sent by Stripe (a `stripe.Event` is
                           accepted too).
        :return: The new event, or the one already recorded with the same id.
        :rtype: recurring.stripe.event
        :raise ValidationError: If the event has no id.
        """
        provider.ensure_one()
        if hasattr(event, "to_dict"):  # stripe.StripeObject
            event = event.to_dict()
        event_id = event.get("id")
        if not event_id or not isinstance(event_id, str):
            raise ValidationError(self.env._("The Stripe event has no identifier."))
        events_sudo = self.sudo()
        existing_event = events_sudo.search(
            [("stripe_event_id", "=", event_id)], limit=1
        )
        if existing_event:
            _logger.info("Stripe event %s already recorded, skipped", event_id)
            return existing_event
        try:
            with self.env.cr.savepoint():
                return events_sudo.create(self._prepare_event_vals(provider, event))
        except pg_errors.UniqueViolation:
            # Another transaction recorded the same event in the meantime. If
            # its row is not visible yet, let the caller fail: Stripe delivers
            # the event again later, and it is found then.
            existing_event = events_sudo.search(
                [("stripe_event_id", "=", event_id)], limit=1
            )
            if not existing_event:
                raise
            return existing_event

    @api.model
    def _prepare_event_vals(self, provider, event):
        """Return the values of the event record of a Stripe event.

        :param payment.provider provider: The Stripe provider that received it.
        :param dict event: The event as sent by Stripe.
        :rtype: dict
        """
        data_object = (event.get("data") or {}).get("object") or {}
        created = event.get("created")
        return {
            "payload": json.dumps(event),
            "stripe_event_id": event["id"],
            "event_type": event.get("type"),
            "provider_id": provider.id,
            "object_id": data_object.get("id")
            if isinstance(data_object, dict)
            else False,
            "created_datetime": datetime.utcfromtimestamp(created)
            if isinstance(created, int)
            else False,
        }

    # ------------------------------------------------------------
    # BUSINESS METHODS: PROCESSING
    # ------------------------------------------------------------

    def _process(self, event):
        """Process this recorded event once, whatever its order of arrival:
        the handlers read the object's current state at Stripe instead of
        trusting the event's copy.

        An error is recorded on the event (and logged), never raised: Stripe
        gets its answer, an administrator sees the event in error.

        :param dict event: the event as Stripe sent it (signature verified)
        """
        self.ensure_one()
        if self.state in ("processed", "ignored"):
            return
        handler = const.RECURRING_WEBHOOK_EVENTS.get(event.get("type"))
        if not handler:
            self.write({"state": "ignored"})
            return
        try:
            with self.env.cr.savepoint():
                done = getattr(self, handler)(event["data"]["object"])
        except (UserError, ValidationError, KeyError, TypeError) as error:
            _logger.warning("Stripe event %s failed: %s", self.stripe_event_id, error)
            self.write({"state": "error", "error_message": str(error)})
            return
        self.write(
            {"state": "processed" if done else "ignored", "error_message": False}
        )

    def _process_payment_event(self, event):
        """Process an event of payment_stripe's list (a PaymentIntent's), when
        it is delivered again or matched later: its transaction is found by
        the reference Odoo gave it, and the PaymentIntent's current state is
        read at Stripe and processed as its answer.

        :return: whether the transaction was found (``False``: unmatched)
        """
        self.ensure_one()
        stripe_object = event["data"]["object"]
        if not event.get("type", "").startswith("payment_intent"):
            return False
        tx = self._find_event_transaction(event)
        if not tx:
            return False
        if not tx.provider_reference:
            tx.provider_reference = stripe_object["id"]
        tx._recurring_query_provider()
        return True

    @api.model
    def _find_event_transaction(self, event):
        """The transaction an event of payment_stripe's list is about, found
        by payment_stripe itself (``_get_tx_from_notification_data``, from
        the reference Odoo gave the object as its description), or an empty
        recordset: the webhook and the later matching find it the same way."""
        stripe_object = (event.get("data") or {}).get("object") or {}
        data = {
            "reference": stripe_object.get("description"),
            "event_type": event.get("type"),
            "object_id": stripe_object.get("id"),
        }
        Transaction = self.env["payment.transaction"].sudo()
        try:
            return Transaction._get_tx_from_notification_data("stripe", data)
        except ValidationError:
            return Transaction

    def action_process_again(self):
        """Process unmatched or failed events again, from what Stripe sent
        (accountants and administrators)."""
        if not self.env.user.has_group("account.group_account_invoice"):
            raise UserError(
                self.env._("Only accountants can process Stripe events again.")
            )
        self.check_access("read")
        events = self.sudo().filtered(
            lambda event: event.state in ("unmatched", "error", "received")
        )
        for event in events:
            event._process_again()
        return True

    def _process_again(self):
        """Process this stored event again; an unmatched one stays unmatched
        while its transaction is not found."""
        self.ensure_one()
        if not self.payload:
            return
        event = json.loads(self.payload)
        if event.get("type") in HANDLED_WEBHOOK_EVENTS:
            try:
                with self.env.cr.savepoint():
                    matched = self._process_payment_event(event)
            except Exception as error:  # noqa: BLE001 - recorded on the event
                _logger.warning(
                    "Stripe event %s failed again: %s", self.stripe_event_id, error
                )
                self.write({"state": "error", "error_message": str(error)})
                return
            self.write(
                {
                    "state": "processed" if matched else "unmatched",
                    "error_message": False,
                }
            )
            if matched:
                self.env.ref("payment.cron_post_process_payment_tx").sudo()._trigger()
            return
        self.write({"state": "received"})
        self._process(event)

    @api.model
    def _retry_unmatched(self, days=3):
        """Match again the unmatched events received in the last ``days``
        (Stripe stops delivering an event after three days)."""
        since = fields.Datetime.now() - timedelta(days=days)
        events = self.sudo().search(
            [("state", "=", "unmatched"), ("received_datetime", ">=", since)],
            order="received_datetime, id",
        )
        Charge = self.env["recurring.payment.charge"]
        for event in events:
            event._process_again()
            # Each event asks Stripe: its outcome is committed on its own.
            Charge._commit(contention_ok=True)
        return events.filtered(lambda event: event.state == "processed")

    def _stripe_get(self, endpoint):
        """Read an object's current state at Stripe (payment_stripe's client)."""
        return self.provider_id._stripe_make_request(endpoint, method="GET")

    def _find_tokens(self, domain):
        return (
            self.env["payment.token"]
            .sudo()
            .with_context(active_test=False)
            .search([("provider_id", "=", self.provider_id.id), *domain])
        )

    def _process_payment_method_event(self, payment_method):
        """A card network renewed or changed a saved card: update its token."""
        tokens = self._find_tokens(
            [("stripe_payment_method", "=", payment_method["id"])]
        )
        if not tokens:
            return False
        current = self._stripe_get(f"payment_methods/{payment_method['id']}")
        for token in tokens:
            if token._recurring_stripe_apply_payment_method(current):
                for subscription in token.subscription_ids:
                    subscription.message_post(
                        body=self.env._(
                            "The card network updated the payment method "
                            "%(token)s (expires on %(date)s).",
                            token=token.display_name,
                            date=token.expiry_date,
                        )
                    )
        return True

    def _process_mandate_event(self, mandate):
        """A SEPA mandate revoked by the customer or their bank: its token
        cannot pay any more; the subscriptions go back to manual payment and
        their customer is told."""
        current = self._stripe_get(f"mandates/{mandate['id']}")
        if current.get("status") != "inactive":
            return True
        domain = [("stripe_mandate", "=", mandate["id"])]
        if current.get("payment_method"):
            domain = [
                "|",
                *domain,
                ("stripe_payment_method", "=", current["payment_method"]),
            ]
        tokens = self._find_tokens(domain)
        if not tokens:
            return False
        subscriptions = tokens.subscription_ids
        subscriptions.write(
            {"recurring_payment_mode": "manual", "payment_token_id": False}
        )
        tokens.write({"active": False})
        mail_template = self.env.ref(
            "recurring_billing_stripe.mail_template_mandate_revoked",
            raise_if_not_found=False,
        )
        for subscription in subscriptions:
            if mail_template:
                subscription._post_subscription_mail(mail_template)
        return True

    def _process_dispute_event(self, dispute):
        """A customer disputed a payment: flag its invoices, and give the
        accountants an activity (the dispute has a deadline at Stripe)."""
        intent = dispute.get("payment_intent")
        if not intent:
            return False
        transactions = (
            self.env["payment.transaction"]
            .sudo()
            .search(
                [
                    ("provider_id", "=", self.provider_id.id),
                    ("provider_reference", "=", intent),
                ]
            )
        )
        invoices = transactions.invoice_ids
        if not invoices:
            return False
        invoices.write({"payment_disputed": True})
        accountants = self.env.ref("account.group_account_manager").users.filtered(
            lambda user: invoices.company_id <= user.company_ids and not user.share
        )
        for invoice in invoices:
            summary = self.env._(
                "Payment disputed: %(reason)s", reason=dispute.get("reason") or "-"
            )
            invoice.message_post(body=summary)
            invoice.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=summary,
                note=self.env._(
                    "The customer disputed the payment %(intent)s with their bank. "
                    "Answer the dispute %(dispute)s in Stripe before its deadline.",
                    intent=intent,
                    dispute=dispute.get("id"),
                ),
                user_id=(
                    accountants[:1] or invoice.invoice_user_id or self.env.user
                ).id,
            )
        return True
