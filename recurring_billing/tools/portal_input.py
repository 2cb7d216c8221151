# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Numbers typed in the customer portal's forms, parsed strictly.

``float()`` takes ``nan``, ``inf``, ``1e400`` (infinite) and ``1_000``, and
``int()`` of those raises ValueError or OverflowError: a form field that
holds a whole number is read here, with ASCII digits only, or refused.
"""

import re

# A whole number as a form sends it: digits, optionally followed by a
# decimal point and zeros ("5", "5.0", as the preview's hidden fields send
# them). No sign, exponent, separator, nor any other digit than 0-9.
_WHOLE_NUMBER = re.compile(r"\s*([0-9]+)(?:\.0*)?\s*", re.ASCII)
# Beyond any quantity or record id a form may carry (PostgreSQL's integer).
MAX_FORM_INTEGER = 2**31 - 1


def parse_whole_number(raw, minimum=0, maximum=MAX_FORM_INTEGER):
    """The whole number of ``raw`` (a form field's text), or ``None`` when
    it is no whole number from ``minimum`` to ``maximum``: empty, negative,
    decimal, ``nan``, ``inf``, ``1e400``, too large, or anything else."""
    if not isinstance(raw, str):
        return None
    match = _WHOLE_NUMBER.fullmatch(raw)
    # 10 digits at most before converting: no huge integer is ever built.
    if not match or len(match.group(1).lstrip("0")) > 10:
        return None
    number = int(match.group(1))
    if not minimum <= number <= maximum:
        return None
    return number


def parse_record_id(raw):
    """The record id of ``raw`` (a form field holding one), or ``None``."""
    return parse_whole_number(raw, minimum=1)
