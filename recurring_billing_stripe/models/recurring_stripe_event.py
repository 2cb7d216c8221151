# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging

from psycopg2 import errors as pg_errors

from odoo import api, fields, models
from odoo.exceptions import ValidationError

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
            ("processed", "Processed"),
            ("ignored", "Ignored"),
            ("error", "Error"),
        ],
        required=True,
        default="received",
        readonly=True,
    )
    error_message = fields.Text(readonly=True)

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
        return {
            "stripe_event_id": event["id"],
            "event_type": event.get("type"),
            "provider_id": provider.id,
        }
