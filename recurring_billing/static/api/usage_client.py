# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""A client of POST /recurring/usage/v1/records (reference: usage_v1.yaml).

    ODOO_URL=https://odoo.example.com ODOO_USAGE_KEY=... python3 usage_client.py

The same call is sent again, with the same references, when no answer came
(network error, timeout) or the server answered 5xx: the records it had
stored are answered "known", so nothing is counted twice.
"""

import os
import time

import requests

URL = os.environ.get("ODOO_URL", "http://localhost:8069") + (
    "/recurring/usage/v1/records"
)
KEY = os.environ.get("ODOO_USAGE_KEY", "")  # API key of a Usage API user
MAX_RECORDS = 10000


def send_usage(records, tries=5, timeout=120):
    """Send up to 10,000 records; return the answer (created, known, errors)."""
    if len(records) > MAX_RECORDS:
        raise ValueError(f"at most {MAX_RECORDS} records a call")
    for attempt in range(tries):
        try:
            response = requests.post(
                URL,
                json={"records": records},
                headers={"Authorization": f"Bearer {KEY}"},
                timeout=timeout,
            )
        except requests.RequestException:
            response = None
        if response is not None and response.status_code < 500:
            response.raise_for_status()  # 400 or 401: the call must be fixed
            return response.json()
        time.sleep(2**attempt)
    raise RuntimeError("usage not sent: send the same records again later")


def send_all(records):
    """Send any number of records, 10,000 a call (the index of an error is
    its record's position in its call)."""
    answers = [
        send_usage(records[start : start + MAX_RECORDS])
        for start in range(0, len(records), MAX_RECORDS)
    ]
    return {
        "created": sum(len(answer["created"]) for answer in answers),
        "known": sum(len(answer["known"]) for answer in answers),
        "errors": [error for answer in answers for error in answer["errors"]],
    }


if __name__ == "__main__":
    answer = send_usage(
        [
            {
                "reference": "evt_000123",
                "subscription": "S00042",
                "product": "API-CALLS",
                "quantity": 1200,
                "timestamp": "2026-12-06T10:15:00+01:00",
            }
        ]
    )
    print(len(answer["created"]), "created,", len(answer["known"]), "known")
    for error in answer["errors"]:
        print(error["index"], error["reference"], error["message"])
