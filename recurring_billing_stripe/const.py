# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).

# Network timeout of every Stripe API call, in seconds: (connect, read). Kept
# well below the SDK default (80 s) so that a stalled call cannot hold a cron
# worker for minutes.
STRIPE_TIMEOUT = (5, 30)

# Retries on connection errors, timeouts, 409 and 5xx answers (the SDK decides
# which errors are retryable). Each retry reuses the same Idempotency-Key, so
# Stripe never performs the operation twice.
STRIPE_MAX_NETWORK_RETRIES = 2

# Prefix of the idempotency keys built by this addon, to recognise them in the
# Stripe dashboard.
IDEMPOTENCY_KEY_PREFIX = "odoo-rb-"

# Context key through which tests (only) inject the `stripe.HTTPClient`
# subclass that the Stripe client uses instead of the network.
HTTP_CLIENT_CLASS_CONTEXT_KEY = "recurring_stripe_http_client_class"
