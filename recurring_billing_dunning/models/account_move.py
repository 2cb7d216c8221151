# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.recurring_billing.models.payment_transaction import LIVE_STATES

from .recurring_dunning_steps import DUNNING_WRITE_CONTEXT

_logger = logging.getLogger(__name__)

DUNNING_STATES = [
    ("running", "In Dunning"),
    ("recovered", "Recovered"),
    ("cancelled", "Cancelled: Credit Note"),
    ("paused", "Paused by the Customer"),
    ("closed", "Lost: Subscription Closed"),
]
PAID_STATES = ("paid", "in_payment", "reversed")


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["account.move", "recurring.dunning.steps"]

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    dunning_policy_id = fields.Many2one(
        "recurring.dunning.policy",
        string="Dunning Policy",
        readonly=True,
        copy=False,
        index="btree_not_null",
    )
    dunning_state = fields.Selection(
        DUNNING_STATES,
        string="Dunning",
        compute="_compute_dunning_state",
        store=True,
        readonly=True,
        copy=False,
        index="btree_not_null",
        tracking=True,
    )
    dunning_start_date = fields.Date(
        readonly=True,
        copy=False,
        help="The day the dunning started: the failed charge, or the due date "
        "for a customer paying by themselves. Step delays count from it.",
    )
    dunning_next_step_id = fields.Many2one(
        "recurring.dunning.step", string="Next Dunning Step", readonly=True, copy=False
    )
    dunning_next_date = fields.Date(
        string="Next Dunning Date", readonly=True, copy=False, index="btree_not_null"
    )
    dunning_last_step_id = fields.Many2one(
        "recurring.dunning.step", string="Last Dunning Step", readonly=True, copy=False
    )
    dunning_failure_class = fields.Selection(
        [
            ("soft", "Soft decline"),
            ("hard", "Hard decline: new payment method needed"),
            ("customer", "Customer authentication needed"),
        ],
        string="Payment Failure",
        readonly=True,
        copy=False,
    )
    dunning_amount = fields.Monetary(
        string="Amount in Dunning",
        readonly=True,
        copy=False,
        help="What was left to pay when the dunning started.",
    )
    dunning_recovered_date = fields.Date(
        compute="_compute_dunning_state", store=True, readonly=True, copy=False
    )
    dunning_error = fields.Text(
        readonly=True,
        copy=False,
        help="Why the dunning job could not take the last step. The job skips "
        "the invoice until it is cleared.",
    )
    dunning_history_ids = fields.One2many(
        "recurring.dunning.history", "move_id", string="Dunning History"
    )

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    @api.depends("payment_state", "state")
    def _compute_dunning_state(self):
        """The dunning stops at once when the invoice is paid, by any means,
        or cancelled (a credit note, a cancellation): not a recovery."""
        for move in self:
            if move.dunning_state == "running" and move._dunning_is_cancelled():
                move.dunning_state = "cancelled"
                move.dunning_recovered_date = False
            elif move.dunning_state == "running" and (
                move.payment_state in PAID_STATES
            ):
                move.dunning_state = "recovered"
                move.dunning_recovered_date = move.company_id._get_today()
            else:
                move.dunning_state = move.dunning_state
                move.dunning_recovered_date = move.dunning_recovered_date

    # ------------------------------------------------------------
    # ACTION METHODS
    # ------------------------------------------------------------

    def action_dunning_clear_error(self):
        self.check_access("write")
        self.sudo()._dunning_write({"dunning_error": False})
        return True

    # ------------------------------------------------------------
    # HOOKS
    # ------------------------------------------------------------

    def _invoice_paid_hook(self):
        res = super()._invoice_paid_hook()
        self.filtered(lambda move: move.dunning_state == "running")._dunning_stop(
            "recovered"
        )
        self.subscription_id.filtered(
            lambda sub: sub.subscription_state == "suspended"
        )._dunning_resume_if_paid()
        return res

    def _recurring_create_charge_transaction(self):
        """The charge of a retry step (handed to the charge job) is that
        step's transaction."""
        tx = super()._recurring_create_charge_transaction()
        if tx and self.dunning_state:
            step = self.sudo().dunning_history_ids.filtered(
                lambda h: h.action == "retry"
                and h.outcome == "running"
                and not h.transaction_id
            )[:1]
            step.transaction_id = tx
        return tx

    def _recurring_record_charge_outcome(self, tx):
        res = super()._recurring_record_charge_outcome(tx)
        history = self.env["recurring.dunning.history"].sudo()
        if self.dunning_state:
            # Only an invoice in dunning, or that was, has retries.
            history = history.search([("transaction_id", "=", tx.id)], limit=1)
        if history and history.move_id == self:
            self._dunning_record_retry_outcome(history, tx)
        return res

    # ------------------------------------------------------------
    # BUSINESS METHODS: START AND PROGRESS
    # ------------------------------------------------------------

    def _dunning_is_cancelled(self):
        """Whether the invoice was cancelled or settled by a credit note
        rather than paid."""
        self.ensure_one()
        return self.state == "cancel" or self.payment_state == "reversed"

    def _dunning_is_paid(self):
        """Whether the invoice is paid, as the database says now."""
        self.ensure_one()
        self.invalidate_recordset(["payment_state", "amount_residual"])
        return self.payment_state in PAID_STATES or self.currency_id.is_zero(
            self.amount_residual
        )

    def _dunning_start(self, start_date, failure_class=False):
        """Put this invoice in dunning from ``start_date`` (the failed charge,
        or the due date), under the policy that fits it.

        :return: whether a policy took the invoice
        """
        self.ensure_one()
        move = self.sudo()
        if move.dunning_state == "running":
            if failure_class:
                move.dunning_failure_class = failure_class
            return True
        if move.dunning_state or move._dunning_is_paid():
            return bool(move.dunning_state)
        policy = self.env["recurring.dunning.policy"]._get_policy_for(move)
        if not policy:
            return False
        vals = {
            "dunning_policy_id": policy.id,
            "dunning_state": "running",
            "dunning_start_date": start_date,
            "dunning_failure_class": failure_class,
            "dunning_amount": move.amount_residual,
            "dunning_error": False,
        }
        move._dunning_write(
            dict(vals, **move._dunning_get_next_step_vals(policy, start_date))
        )
        move._message_log(
            body=self.env._(
                "Dunning started under the policy %(policy)s.", policy=policy.name
            )
        )
        return True

    def _dunning_start_from_due_date(self):
        """The dunning of a customer paying by themselves counts from the due
        date."""
        self.ensure_one()
        if not self._dunning_start(self.invoice_date_due):
            self.sudo()._dunning_write(
                {
                    "dunning_error": self.env._(
                        "No dunning policy of %(company)s applies to this invoice.",
                        company=self.company_id.name,
                    )
                }
            )

    def _dunning_plan_next_step(self):
        """Point the invoice to the first step of its policy it has not taken
        yet, on its day."""
        for move in self:
            move._dunning_write(move._dunning_get_next_step_vals())

    def _dunning_get_next_step_vals(self, policy=None, start_date=None):
        """The values pointing the invoice to the first step of ``policy``
        (by default its own) it has not taken yet, on its day from
        ``start_date`` (by default its own)."""
        self.ensure_one()
        policy = policy or self.dunning_policy_id
        start_date = start_date or self.dunning_start_date
        done = self.dunning_history_ids.step_id
        step = (policy.step_ids.sorted() - done)[:1]
        return {
            "dunning_next_step_id": step.id,
            "dunning_next_date": step and start_date + timedelta(days=step.delay_days),
        }

    def _dunning_write(self, vals):
        """Write the dunning fields of these invoices (see
        ``DUNNING_WRITE_CONTEXT``); the chatter still tracks them."""
        return self.with_context(**DUNNING_WRITE_CONTEXT).write(vals)

    def _dunning_stop(self, state):
        self._dunning_write(
            {
                "dunning_state": state,
                "dunning_next_date": False,
                "dunning_next_step_id": False,
                "dunning_recovered_date": (
                    self.company_id._get_today() if state == "recovered" else False
                ),
            }
        )

    def _dunning_take_step(self):
        """Take the next step of these invoices, each once: the database
        refuses a second line of history for the same invoice and step. The
        invoices of one customer at one step go out as one letter: one email
        (and one formal notice) listing them, posted on the oldest.

        :return: the history lines, or an empty recordset when there was
            nothing (more) to do
        """
        History = self.env["recurring.dunning.history"].sudo()
        histories = History
        letters = {}
        for move in self.sorted(lambda move: (move.invoice_date_due, move.id)):
            history, letter = move._dunning_take_one_step()
            histories |= history
            if letter:
                # A pause is offered per subscription, with its own link.
                key = (
                    move.commercial_partner_id,
                    history.step_id,
                    letter["template"],
                    move.subscription_id if history.action == "pause" else None,
                )
                letters.setdefault(key, []).append((move, history, letter))
        for (_partner, step, template, _pause), group in letters.items():
            notice = group[0][2].get("notice")
            if template and not notice and not template._dunning_lists_invoices():
                # A template edited before the letters listed their invoices:
                # one email per invoice, as it was made for.
                for item in group:
                    self._dunning_send_letter(step, template, [item])
                continue
            self._dunning_send_letter(step, template, group)
        return histories

    def _dunning_send_letter(self, step, template, items):
        """Send the letter of ``items`` (invoice, history line, letter), all
        of one customer at ``step``: one email posted on the first invoice
        and listing the others, and its values written on every line."""
        moves = self.browse([move.id for move, _history, _letter in items])
        first, _history, letter = items[0]
        if letter.get("notice"):
            vals = self.env[
                "report.recurring_billing_dunning.report_formal_notice"
            ]._send(first, step, moves)
        else:
            vals = first._dunning_send_mail(
                template,
                dunning_move_ids=tuple(moves.ids),
                **letter.get("context", {}),
            )
        for _move, history, _letter in items:
            history.write(vals)

    def _dunning_take_one_step(self):
        """Take the next step of this invoice, but for its letter.

        :return: the history line (or an empty recordset) and the letter to
            send, as ``_dunning_prepare_letter`` gives it, or ``None``
        """
        self.ensure_one()
        History = self.env["recurring.dunning.history"].sudo()
        today = self.company_id._get_today()
        step = self.dunning_next_step_id
        if self._dunning_is_paid() or self.state == "cancel":
            self._dunning_stop(
                "cancelled" if self._dunning_is_cancelled() else "recovered"
            )
            return History, None
        if self.dunning_state != "running" or not step:
            self._dunning_write({"dunning_next_date": False})
            return History, None
        if step.action in ("retry", "notice") and self._dunning_payment_under_way():
            # A debit or payment is under way: never retry on top of it, nor
            # give formal notice to pay what is being paid.
            self._dunning_write({"dunning_next_date": today + timedelta(days=1)})
            return History, None
        history = self._dunning_insert_history(step, today)
        if not history:
            self._dunning_plan_next_step()
            return History, None
        handler = getattr(self, f"_dunning_step_{step.action}")
        vals = handler(step, history) or {}
        letter = vals.pop("letter", None)
        history.write(dict({"outcome": "done"}, **vals))
        vals = {"dunning_last_step_id": step.id}
        if self.dunning_state == "running":
            vals.update(self._dunning_get_next_step_vals())
        self._dunning_write(vals)
        return history, letter

    def _dunning_prepare_letter(self, mail_template, notice=False, **context):
        """The letter a step sends: ``mail_template`` with ``context`` (the
        first invoice's, for a letter about several), and for a formal notice
        the notice's PDF. Sent by ``_dunning_take_step``, once per customer
        and step.

        :return: the history values carrying it
        """
        if not mail_template and not notice:
            return {}
        return {
            "letter": {"template": mail_template, "notice": notice, "context": context}
        }

    def _dunning_insert_history(self, step, today):
        """Insert the history line of ``step``, or nothing if it exists (taken
        by another worker, or by an earlier run)."""
        self.ensure_one()
        subscription = self.subscription_id
        self.env["recurring.dunning.history"].flush_model()
        rows = self.env.execute_query(
            SQL(
                """
                INSERT INTO recurring_dunning_history
                    (move_id, step_id, policy_id, action, company_id,
                     subscription_id, date, outcome, email_sent, amount,
                     create_uid, write_uid, create_date, write_date)
                VALUES (%s, %s, %s, %s, %s, %s, %s, 'running', FALSE, %s,
                        %s, %s, NOW() AT TIME ZONE 'UTC', NOW() AT TIME ZONE 'UTC')
                ON CONFLICT (move_id, step_id) DO NOTHING
                RETURNING id
                """,
                self.id,
                step.id,
                step.policy_id.id,
                step.action,
                self.company_id.id,
                subscription.id or None,
                today,
                self.amount_residual,
                self.env.uid,
                self.env.uid,
            )
        )
        self.invalidate_recordset(["dunning_history_ids"])
        return (
            self.env["recurring.dunning.history"]
            .sudo()
            .browse([row[0] for row in rows])
        )

    def _dunning_payment_under_way(self):
        self.ensure_one()
        return self.recurring_charge_state == "to_charge" or bool(
            self.sudo().transaction_ids.filtered(lambda tx: tx.state in LIVE_STATES)
        )

    # ------------------------------------------------------------
    # BUSINESS METHODS: SELECTION
    # ------------------------------------------------------------

    @api.model
    def _get_overdue_subscription_invoices_domain(self, today):
        """Posted customer invoices of a subscription, not paid and past their
        due date on ``today``: the invoices the dunning process chases."""
        return [
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("subscription_id", "!=", False),
            ("payment_state", "in", ("not_paid", "partial")),
            ("invoice_date_due", "<", today),
        ]
