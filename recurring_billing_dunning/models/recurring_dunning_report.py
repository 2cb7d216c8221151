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
        help="Share of the invoices in dunning that were paid (the invoices "
        "cancelled by a credit note are left out).",
    )
    recovered_step_id = fields.Many2one(
        "recurring.dunning.step",
        string="Recovered After Step",
        readonly=True,
        help="The retry whose debit paid the invoice, or the last step whose "
        "email came before the customer paid online. Empty when the payment "
        "was registered by hand (a transfer, a cheque) or came before any "
        "email.",
    )
    recovered_attempt = fields.Integer(
        string="Recovered at Retry",
        readonly=True,
        aggregator="avg",
        help="The number of the retry whose debit paid the invoice (empty "
        "when no retry paid it).",
    )
    days_to_recover = fields.Integer(readonly=True, aggregator="avg")
    invoice_count = fields.Integer(string="Invoices", readonly=True)
    lost_count = fields.Integer(
        string="Lost Subscriptions",
        readonly=True,
        help="Subscriptions closed for non-payment (counted once, whatever "
        "the number of their invoices).",
    )

    def _query(self):
        # The step that recovered: the retry whose debit paid, or else, when
        # the customer paid online (a transaction of the invoice that no
        # retry made), the last step whose email went before the payment; a
        # payment registered by the accountant is put down to no step.
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
                        WHEN m.dunning_state = 'cancelled' THEN NULL
                        ELSE 0.0 END AS recovery_rate,
                   COALESCE(paid_retry.step_id, mailed.step_id)
                       AS recovered_step_id,
                   CASE WHEN paid_retry.id IS NOT NULL
                        THEN (SELECT COUNT(*) FROM recurring_dunning_history h
                               WHERE h.move_id = m.id AND h.action = 'retry'
                                 AND h.outcome IN ('paid', 'failed', 'pending')
                                 AND h.id <= paid_retry.id)
                        END AS recovered_attempt,
                   CASE WHEN m.dunning_state = 'recovered'
                        THEN m.dunning_recovered_date - m.dunning_start_date
                        END AS days_to_recover,
                   1 AS invoice_count,
                   CASE WHEN m.dunning_state = 'closed'
                         AND ROW_NUMBER() OVER (
                             PARTITION BY COALESCE(m.subscription_id, -m.id),
                                          m.dunning_state
                             ORDER BY m.id) = 1
                        THEN 1 ELSE 0 END AS lost_count
              FROM account_move m
              JOIN res_company c ON c.id = m.company_id
              LEFT JOIN LATERAL (
                   SELECT h.id, h.step_id
                     FROM recurring_dunning_history h
                    WHERE h.move_id = m.id AND h.action = 'retry'
                      AND h.outcome = 'paid'
                    ORDER BY h.id DESC
                    LIMIT 1
              ) paid_retry ON m.dunning_state = 'recovered'
              LEFT JOIN LATERAL (
                   SELECT h.step_id
                     FROM recurring_dunning_history h
                    WHERE h.move_id = m.id AND h.email_sent
                      AND h.date <= m.dunning_recovered_date
                    ORDER BY h.date DESC, h.id DESC
                    LIMIT 1
              ) mailed ON m.dunning_state = 'recovered'
                      AND paid_retry.id IS NULL
                      AND EXISTS (
                          SELECT 1
                            FROM account_invoice_transaction_rel r
                            JOIN payment_transaction t ON t.id = r.transaction_id
                           WHERE r.invoice_id = m.id AND t.state = 'done'
                             AND NOT EXISTS (
                                 SELECT 1 FROM recurring_dunning_history rh
                                  WHERE rh.transaction_id = t.id))
             WHERE m.dunning_policy_id IS NOT NULL
            """
        )

    @property
    def _table_query(self):
        return self._query()
