# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).

# The webhook endpoint of this module, one per Stripe payment provider. It
# receives Odoo's own events (passed on to payment_stripe) and the ones below.
WEBHOOK_ROUTE = "/recurring_billing/stripe/webhook/<int:provider_id>"
WEBHOOK_URL = "/recurring_billing/stripe/webhook/%s"

# Events handled by this module, beyond payment_stripe's HANDLED_WEBHOOK_EVENTS.
RECURRING_WEBHOOK_EVENTS = {
    "payment_method.automatically_updated": "_process_payment_method_event",
    "payment_method.updated": "_process_payment_method_event",
    "charge.dispute.created": "_process_dispute_event",
    "mandate.updated": "_process_mandate_event",
}

# Context key under which `_stripe_make_request` collects the error objects of
# Stripe's answers (e.g. a 402 card_declined), which payment_stripe reduces to
# their message.
ERRORS_CONTEXT_KEY = "recurring_stripe_errors"

# Stripe errors after which a charge request may or may not have been carried
# out: the PaymentIntent is looked up at Stripe before anything else is sent
# (https://docs.stripe.com/error-handling, "Server errors" and "Idempotency").
UNKNOWN_OUTCOME_ERROR_TYPES = ("api_error",)
UNKNOWN_OUTCOME_ERROR_CODES = ("idempotency_key_in_use", "lock_timeout", "rate_limit")

# How many pages of a customer's PaymentIntents are read to find the one of a
# charge whose answer was lost (100 a page).
INTENT_LOOKUP_MAX_PAGES = 5
