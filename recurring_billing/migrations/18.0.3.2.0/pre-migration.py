# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""18.0.3.2.0: e-invoice lifecycle statuses.

The invoices' current e-invoice status and amount collected are computed
from their statuses, which no invoice has yet: the columns are created empty
here, so that the update does not compute them for every journal entry."""

from odoo.tools import sql


def migrate(cr, version):
    if not version:
        return
    for column, column_type in (
        ("einvoice_status", "varchar"),
        ("einvoice_amount_collected", "numeric"),
    ):
        if not sql.column_exists(cr, "account_move", column):
            sql.create_column(cr, "account_move", column, column_type)
