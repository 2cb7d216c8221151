# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Answers of Stripe's API, field for field as its API reference shows them
(https://docs.stripe.com/api/payment_intents/object,
https://docs.stripe.com/api/errors, https://docs.stripe.com/declines/codes),
at the API version Odoo pins (2019-05-16: PaymentIntents list their charges).
Functions, so that each test gets its own copy with its own amounts."""

CUSTOMER = "cus_NffrFeUfNV2Hib"
CARD_PM = "pm_1MtwBwLkdIwHu7ixhZxYJpqU"
SEPA_PM = "pm_1NxqLYLkdIwHu7ixsepa3000"
MANDATE = "mandate_1NxqLYLkdIwHu7ixM4nd4t3"


def card_payment_method(exp_month=8, exp_year=2027, last4="4242"):
    return {
        "id": CARD_PM,
        "object": "payment_method",
        "billing_details": {
            "address": {
                "city": None,
                "country": None,
                "line1": None,
                "line2": None,
                "postal_code": None,
                "state": None,
            },
            "email": None,
            "name": None,
            "phone": None,
        },
        "card": {
            "brand": "visa",
            "checks": {
                "address_line1_check": None,
                "address_postal_code_check": None,
                "cvc_check": "pass",
            },
            "country": "US",
            "exp_month": exp_month,
            "exp_year": exp_year,
            "fingerprint": "Xt5EWLLDS7FJjR1c",
            "funding": "credit",
            "generated_from": None,
            "last4": last4,
            "networks": {"available": ["visa"], "preferred": None},
            "three_d_secure_usage": {"supported": True},
            "wallet": None,
        },
        "created": 1680800504,
        "customer": CUSTOMER,
        "livemode": False,
        "metadata": {},
        "type": "card",
    }


def sepa_payment_method():
    return {
        "id": SEPA_PM,
        "object": "payment_method",
        "billing_details": {
            "address": {
                "city": None,
                "country": None,
                "line1": None,
                "line2": None,
                "postal_code": None,
                "state": None,
            },
            "email": "compta@boulangerie-martin.example",
            "name": "Boulangerie Martin",
            "phone": None,
        },
        "created": 1696240000,
        "customer": CUSTOMER,
        "livemode": False,
        "metadata": {},
        "sepa_debit": {
            "bank_code": "37040044",
            "branch_code": "",
            "country": "DE",
            "fingerprint": "vifs0Ho7vwRn1Miu",
            "generated_from": {"charge": None, "setup_attempt": None},
            "last4": "3000",
        },
        "type": "sepa_debit",
    }


def _charge(reference, amount, status, payment_method, details, failure=None):
    return {
        "id": "ch_3MtwBwLkdIwHu7ix0snN0B15",
        "object": "charge",
        "amount": amount,
        "amount_captured": amount if status == "succeeded" else 0,
        "amount_refunded": 0,
        "captured": status == "succeeded",
        "created": 1680800504,
        "currency": "eur",
        "customer": CUSTOMER,
        "description": reference,
        "failure_code": (failure or {}).get("code"),
        "failure_message": (failure or {}).get("message"),
        "livemode": False,
        "outcome": {
            "network_status": "approved_by_network"
            if not failure
            else "declined_by_network",
            "reason": (failure or {}).get("decline_code"),
            "risk_level": "normal",
            "seller_message": "Payment complete."
            if not failure
            else "The bank "
            "returned the decline code `%s`." % (failure or {}).get("decline_code"),
            "type": "authorized" if not failure else "issuer_declined",
        },
        "paid": status == "succeeded",
        "payment_intent": "pi_3MtwBwLkdIwHu7ix28a3tqPa",
        "payment_method": payment_method["id"],
        "payment_method_details": details,
        "refunded": False,
        "status": status,
    }


def payment_intent(
    reference,
    amount,
    status="succeeded",
    payment_method=None,
    last_payment_error=None,
    charge_status=None,
):
    """A PaymentIntent as Stripe answers ``POST /v1/payment_intents`` with
    ``confirm=true`` and ``expand[]=payment_method``."""
    payment_method = payment_method or card_payment_method()
    if payment_method["type"] == "card":
        details = {
            "card": {
                "brand": "visa",
                "checks": {
                    "address_line1_check": None,
                    "address_postal_code_check": None,
                    "cvc_check": None,
                },
                "country": "US",
                "exp_month": payment_method["card"]["exp_month"],
                "exp_year": payment_method["card"]["exp_year"],
                "fingerprint": "Xt5EWLLDS7FJjR1c",
                "funding": "credit",
                "last4": payment_method["card"]["last4"],
                "mandate": None,
                "network": "visa",
                "three_d_secure": None,
                "wallet": None,
            },
            "type": "card",
        }
    else:
        details = {
            "sepa_debit": {
                "bank_code": "37040044",
                "branch_code": "",
                "country": "DE",
                "fingerprint": "vifs0Ho7vwRn1Miu",
                "last4": "3000",
                "mandate": MANDATE,
            },
            "type": "sepa_debit",
        }
    charges = []
    if charge_status or status in ("succeeded", "processing"):
        charges.append(
            _charge(
                reference,
                amount,
                charge_status or ("succeeded" if status == "succeeded" else "pending"),
                payment_method,
                details,
                failure=last_payment_error,
            )
        )
    return {
        "id": "pi_3MtwBwLkdIwHu7ix28a3tqPa",
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": amount if status == "succeeded" else 0,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": None,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": "automatic",
        "charges": {
            "object": "list",
            "data": charges,
            "has_more": False,
            "total_count": len(charges),
            "url": "/v1/charges?payment_intent=pi_3MtwBwLkdIwHu7ix28a3tqPa",
        },
        "client_secret": "pi_3MtwBwLkdIwHu7ix28a3tqPa_secret_YrKJUKribcBjcG8HVhfZluoGH",
        "confirmation_method": "automatic",
        "created": 1680800504,
        "currency": "eur",
        "customer": CUSTOMER,
        "description": reference,
        "invoice": None,
        "last_payment_error": last_payment_error,
        "latest_charge": charges[0]["id"] if charges else None,
        "livemode": False,
        "metadata": {},
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": payment_method,
        "payment_method_options": {},
        "payment_method_types": [payment_method["type"]],
        "processing": None,
        "receipt_email": None,
        "review": None,
        "setup_future_usage": None,
        "shipping": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": status,
        "transfer_data": None,
        "transfer_group": None,
    }


def card_error(reference, amount, code, decline_code, message, advice_code=None):
    """The body of a 402 answer to a confirmed off-session PaymentIntent."""
    error = {
        "code": code,
        "decline_code": decline_code,
        "doc_url": f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}",
        "message": message,
        "payment_method": card_payment_method(),
        "request_log_url": "https://dashboard.stripe.com/test/logs/req_xyz?t=1680800504",
        "type": "card_error",
    }
    if advice_code:
        error["advice_code"] = advice_code
    last_payment_error = dict(error)
    error["charge"] = "ch_3MtwBwLkdIwHu7ix0snN0B15"
    error["payment_intent"] = payment_intent(
        reference,
        amount,
        status="requires_payment_method",
        last_payment_error=last_payment_error,
        charge_status="failed",
    )
    return {"error": error}


def event(event_id, event_type, data_object, created=1767225600):
    return {
        "id": event_id,
        "object": "event",
        "api_version": "2019-05-16",
        "created": created,
        "data": {"object": data_object},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


def mandate(status="inactive"):
    return {
        "id": MANDATE,
        "object": "mandate",
        "customer_acceptance": {
            "accepted_at": 1696240000,
            "online": {"ip_address": "127.0.0.1", "user_agent": "Mozilla/5.0"},
            "type": "online",
        },
        "livemode": False,
        "multi_use": {},
        "payment_method": SEPA_PM,
        "payment_method_details": {
            "sepa_debit": {
                "reference": "6TUWVJ8NXJ6ZWLNA",
                "url": "https://payments.stripe.com/sepa_debit/mandate/test_YWNjdF8x",
            },
            "type": "sepa_debit",
        },
        "status": status,
        "type": "multi_use",
    }


def dispute(payment_intent_id="pi_3MtwBwLkdIwHu7ix28a3tqPa", amount=7920):
    return {
        "id": "du_1MtJUT2eZvKYlo2CNaw2HvEv",
        "object": "dispute",
        "amount": amount,
        "balance_transactions": [],
        "charge": "ch_3MtwBwLkdIwHu7ix0snN0B15",
        "created": 1680651737,
        "currency": "eur",
        "evidence_details": {
            "due_by": 1681430399,
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
        },
        "is_charge_refundable": True,
        "livemode": False,
        "metadata": {},
        "payment_intent": payment_intent_id,
        "reason": "fraudulent",
        "status": "needs_response",
    }
