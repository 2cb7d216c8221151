# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models
from odoo.tools import SQL

from .account_move import DUNNING_STATES


class RecurringDunningReport(models.Model):
    """Recovery figures: one row per invoice that entered dunning, in the
    company's currency. Group by policy, by the step after which the invoice
    was paid, or by the retry that paid it."""

    _name = "recurring.dunning.report"
    _description = "Dunning Recovery Analysis"
    _auto = False
    _order = "start_date desc"
    _rec_name = "move_id"

    move_id = fields.Many2one("account.move", string="Invoice", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    policy_id = fields.Many2one(
        "recurring.dunning.policy", string="Policy", readonly=True
    )
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    subscription_id = fields.Many2one("sale.order", readonly=True)
    start_date = fields.Date(string="Dunning Start", readonly=True)
    recovered_date = fields.Date(readonly=True)
    dunning_state = fields.Selection(DUNNING_STATES, readonly=True)
    failed_amount = fields.Monetary(readonly=True)
    recovered_amount = fields.Monetary(readonly=True)
    recovery_rate = fields.Float(
        string="Recovery Rate (%)",
        readonly=True,
        aggregator="avg",
        help="Share of the invoices in dunning that were paid.",
    )
    recovered_step_id = fields.Many2one(
        "recurring.dunning.step",
        string="Recovered After Step",
        readonly=True,
        help="The last step taken before the invoice was paid (empty: paid "
        "before the first step).",
    )
    recovered_attempt = fields.Integer(
        string="Recovered at Retry",
        readonly=True,
        aggregator="avg",
        help="How many retries were made when the invoice was paid.",
    )
    days_to_recover = fields.Integer(readonly=True, aggregator="avg")
    invoice_count = fields.Integer(string="Invoices", readonly=True)
    lost_count = fields.Integer(
        string="Lost Subscriptions",
        readonly=True,
        help="Invoices whose subscription was closed for non-payment.",
    )

    def _query(self):
        return SQL(
            """
            SELECT m.id AS id,
                   m.id AS move_id,
                   m.company_id,
                   c.currency_id,
                   m.dunning_policy_id AS policy_id,
                   m.commercial_partner_id AS partner_id,
                   m.subscription_id,
                   m.dunning_start_date AS start_date,
                   m.dunning_recovered_date AS recovered_date,
                   m.dunning_state,
                   ROUND(m.dunning_amount * COALESCE(
                       ABS(m.amount_total_signed) / NULLIF(m.amount_total, 0), 1
                   ), 2) AS failed_amount,
                   CASE WHEN m.dunning_state = 'recovered'
                        THEN ROUND(m.dunning_amount * COALESCE(
                            ABS(m.amount_total_signed) / NULLIF(m.amount_total, 0),
                            1), 2)
                        ELSE 0 END AS recovered_amount,
                   CASE WHEN m.dunning_state = 'recovered' THEN 100.0
                        ELSE 0.0 END AS recovery_rate,
                   CASE WHEN m.dunning_state = 'recovered'
                        THEN m.dunning_last_step_id END AS recovered_step_id,
                   CASE WHEN m.dunning_state = 'recovered'
                        THEN (SELECT COUNT(*) FROM recurring_dunning_history h
                               WHERE h.move_id = m.id AND h.action = 'retry'
                                 AND h.outcome IN ('paid', 'failed', 'pending'))
                        END AS recovered_attempt,
                   CASE WHEN m.dunning_state = 'recovered'
                        THEN m.dunning_recovered_date - m.dunning_start_date
                        END AS days_to_recover,
                   1 AS invoice_count,
                   CASE WHEN m.dunning_state = 'closed' THEN 1 ELSE 0 END
                       AS lost_count
              FROM account_move m
              JOIN res_company c ON c.id = m.company_id
             WHERE m.dunning_policy_id IS NOT NULL
            """
        )

    @property
    def _table_query(self):
        return self._query()
