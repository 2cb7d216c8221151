# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import hashlib
import json
import logging

import stripe

from odoo import fields, models
from odoo.exceptions import UserError

from odoo.addons.payment_stripe import utils as stripe_utils

from .. import const

_logger = logging.getLogger(__name__)


class PaymentProvider(models.Model):
    _inherit = "payment.provider"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    recurring_stripe_event_count = fields.Integer(
        string="Stripe Events",
        compute="_compute_recurring_stripe_event_count",
        groups="base.group_system,account.group_account_invoice",
    )

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    def _compute_recurring_stripe_event_count(self):
        counts = dict(
            self.env["recurring.stripe.event"]._read_group(
                [("provider_id", "in", self.ids)],
                groupby=["provider_id"],
                aggregates=["__count"],
            )
        )
        for provider in self:
            provider.recurring_stripe_event_count = counts.get(provider._origin, 0)

    # ------------------------------------------------------------
    # ACTION METHODS
    # ------------------------------------------------------------

    def action_view_recurring_stripe_events(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "recurring_billing_stripe.recurring_stripe_event_action"
        )
        action["domain"] = [("provider_id", "=", self.id)]
        action["context"] = {"default_provider_id": self.id}
        return action

    # ------------------------------------------------------------
    # BUSINESS METHODS: STRIPE API
    # ------------------------------------------------------------

    def _recurring_stripe_client(self):
        """Return a `stripe.StripeClient` authenticated with this provider's
        secret key, with an explicit network timeout and bounded retries.

        This is the single entry point of the addon towards the Stripe API:
        every call goes through it, with an idempotency key built by
        `_recurring_stripe_idempotency_key` for each POST request.

        The HTTP client is `stripe.RequestsClient` unless the context key
        `recurring_stripe_http_client_class` (see `const.py`) holds a
        `stripe.HTTPClient` subclass; tests use it to replace the network.
        That class is instantiated with a `timeout` keyword argument.

        Note: self.ensure_one()

        :return: The Stripe client.
        :rtype: stripe.StripeClient
        :raise UserError: If the provider is not Stripe or has no secret key.
        """
        self.ensure_one()
        if self.code != "stripe":
            raise UserError(
                self.env._(
                    "The payment provider %(provider)s is not a Stripe provider.",
                    provider=self.display_name,
                )
            )
        secret_key = stripe_utils.get_secret_key(self.sudo())
        if not secret_key:
            raise UserError(
                self.env._(
                    "Set the secret key of the Stripe payment provider %(provider)s "
                    "before charging saved payment methods.",
                    provider=self.display_name,
                )
            )
        return stripe.StripeClient(
            secret_key,
            max_network_retries=const.STRIPE_MAX_NETWORK_RETRIES,
            http_client=self._recurring_stripe_http_client(),
        )

    def _recurring_stripe_http_client(self):
        """Return the HTTP client of `_recurring_stripe_client`, carrying the
        network timeout of `const.STRIPE_TIMEOUT`.

        :rtype: stripe.HTTPClient
        """
        client_class = self.env.context.get(const.HTTP_CLIENT_CLASS_CONTEXT_KEY)
        is_http_client_class = isinstance(client_class, type) and issubclass(
            client_class, stripe.HTTPClient
        )
        if not is_http_client_class:
            client_class = stripe.RequestsClient
        return client_class(timeout=const.STRIPE_TIMEOUT)

    def _recurring_stripe_idempotency_key(self, *parts):
        """Return a deterministic Stripe idempotency key for `parts`.

        The same parts (e.g. `"invoice", move.id, attempt_number`) always give
        the same key in the same database, so a request retried after a
        timeout or a crash is not performed twice by Stripe. The database
        uuid makes keys of two databases (e.g. a duplicated test database)
        sharing one Stripe account differ.

        :param parts: Values identifying the operation; str() of each is used.
        :return: A key of at most 255 characters, as Stripe requires.
        :rtype: str
        :raise ValueError: If no part is given or a part is None or False.
        """
        if not parts or any(part is None or part is False for part in parts):
            raise ValueError(f"An idempotency key needs non-empty parts, got {parts!r}")
        db_uuid = self.env["ir.config_parameter"].sudo().get_param("database.uuid")
        seed = json.dumps([db_uuid, *(str(part) for part in parts)])
        digest = hashlib.sha256(seed.encode()).hexdigest()
        return f"{const.IDEMPOTENCY_KEY_PREFIX}{digest}"
