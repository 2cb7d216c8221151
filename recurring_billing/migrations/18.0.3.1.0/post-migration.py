# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""18.0.3.1.0: the MRR log keeps the exchange-rate effect apart.

A movement of a subscription in another currency than its company's was
valued as its MRR after at the rate of its day minus its MRR before at the
rate of the previous movement's day. Its change is now valued at the rate of
its day (``mrr_delta_company``) and the revaluation of the MRR before is
its exchange-rate effect (``mrr_fx_company``). A close is dated the day
after the last day of service."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    cr.execute(
        """
        UPDATE recurring_mrr_event e
           SET date = e.date + 1
          FROM sale_order so
         WHERE so.id = e.subscription_id
           AND e.event_type = 'churn'
           AND e.reason IN ('close', 'backfill')
           AND e.date = so.subscription_end_date
        """
    )
    cr.execute(
        "UPDATE recurring_mrr_event SET mrr_fx_company = 0 WHERE mrr_fx_company IS NULL"
    )
    cr.execute(
        """
        SELECT id FROM recurring_mrr_event
         WHERE currency_id <> company_currency_id AND mrr_before <> 0
        """
    )
    events = env["recurring.mrr.event"].browse(row[0] for row in cr.fetchall())
    values = []
    for event in events:
        revalued = event.currency_id._convert(
            event.mrr_before, event.company_currency_id, event.company_id, event.date
        )
        values.append((revalued, event.id))
    if values:
        cr.executemany(
            """
            UPDATE recurring_mrr_event
               SET mrr_delta_company = mrr_after_company - %s,
                   mrr_fx_company = %s - mrr_before_company
             WHERE id = %s
            """,
            [(revalued, revalued, event_id) for revalued, event_id in values],
        )
