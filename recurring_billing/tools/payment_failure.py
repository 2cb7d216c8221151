# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""How a failed automatic charge is classified, from the codes a payment
provider gives (Stripe's ``code``, ``decline_code`` and ``advice_code``; other
providers map theirs onto the same words).

- ``customer``: the customer must act on-session (3-D Secure, SCA): no blind
  retry, they get a link to pay the invoice themselves.
- ``hard``: never retry with this payment method, ask for a new one.
- ``soft``: retry later (the dunning policy decides when and how often).
"""

CUSTOMER_ACTION_CODES = frozenset(
    {
        "authentication_required",
        "authentication_not_handled",
        "payment_intent_authentication_failure",
        "setup_intent_authentication_failure",
    }
)

HARD_CODES = frozenset(
    {
        "expired_card",
        "incorrect_number",
        "invalid_number",
        "invalid_account",
        "invalid_cvc",
        "incorrect_cvc",
        "invalid_expiry_month",
        "invalid_expiry_year",
        "lost_card",
        "stolen_card",
        "pickup_card",
        "restricted_card",
        "fraudulent",
        "merchant_blacklist",
        "do_not_try_again",
        "do_not_honor",
        "card_not_supported",
        "currency_not_supported",
        "revocation_of_authorization",
        "revocation_of_all_authorizations",
        "security_violation",
        "stop_payment_order",
        "transaction_not_allowed",
        "new_account_information_available",
        # SEPA Direct Debit return reasons that a retry cannot fix.
        "account_closed",
        "bank_account_restricted",
        "debit_not_authorized",
        "no_account",
        "mandate_invalid",
        "payment_method_unactivated",
    }
)

SOFT_CODES = frozenset(
    {
        "insufficient_funds",
        "processing_error",
        "try_again_later",
        "issuer_not_available",
        "reenter_transaction",
        "approve_with_id",
        "call_issuer",
        "card_velocity_exceeded",
        "withdrawal_count_limit_exceeded",
        "generic_decline",
        "rate_limit",
        "api_connection_error",
        "card_declined",
    }
)

# Stripe's advice codes: the issuer's own advice takes precedence.
ADVICE_CLASSES = {
    "try_again_later": "soft",
    "do_not_try_again": "hard",
    "confirm_card_data": "hard",
}


def classify_failure(code=None, decline_code=None, advice_code=None):
    """Return ``customer``, ``hard`` or ``soft`` for a failed payment.

    The customer's action (authentication) wins over everything, then the
    issuer's advice, then the most specific code (the decline code before
    the error code). An unknown or missing code is soft: the dunning policy
    bounds the number of retries.
    """
    codes = [c for c in (decline_code, code) if c]
    if any(c in CUSTOMER_ACTION_CODES for c in codes):
        return "customer"
    if advice_code in ADVICE_CLASSES:
        return ADVICE_CLASSES[advice_code]
    for c in codes:
        if c in HARD_CODES:
            return "hard"
        if c in SOFT_CODES:
            return "soft"
    return "soft"


class ChargeOutcomeUnknown(Exception):
    """A payment provider gave no final answer to a charge request (a server
    error, a rate limit, a concurrent request with the same idempotency key):
    the provider may or may not have charged, and must be asked again."""
