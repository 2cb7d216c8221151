# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging

from odoo import models
from odoo.tools import email_normalize

from odoo.addons.recurring_billing.tools.mail import post_template_message

_logger = logging.getLogger(__name__)

# The write of the dunning fields of posted invoices: none of them touches the
# accounting, so Odoo's write of invoices need not re-synchronise and
# re-balance the journal items (a few dozen queries per invoice), nor mark the
# invoice as modified by hand.
DUNNING_WRITE_CONTEXT = {
    "skip_invoice_sync": True,
    "check_move_validity": False,
    "skip_is_manually_modified": True,
    "skip_account_move_synchronization": True,
}


class RecurringDunningSteps(models.AbstractModel):
    """The steps of the dunning of a subscription invoice (retry, email,
    suspension, pause offer, formal notice, closing), their emails and the
    links the emails carry; mixed into ``account.move``, whose dunning
    progress (start, next step, history) calls them."""

    _name = "recurring.dunning.steps"
    _description = "Dunning Steps of an Invoice"

    # ------------------------------------------------------------
    # BUSINESS METHODS: STEPS
    # ------------------------------------------------------------

    def _dunning_step_retry(self, step, history):
        subscription = self.subscription_id.sudo()
        reason = False
        if subscription.recurring_payment_mode != "auto" or not (
            subscription.payment_token_id
        ):
            reason = self.env._("No saved payment method to retry.")
        elif self.dunning_failure_class in ("hard", "customer"):
            reason = self.env._(
                "Not retried: the bank refused the payment method or asks the "
                "customer to act."
            )
        if not reason and self._recurring_is_sepa():
            retries = self.dunning_history_ids.filtered(
                lambda h: h.action == "retry"
                and h.outcome not in ("skipped", "running")
            )
            if len(retries) >= self.dunning_policy_id.sepa_max_retries:
                reason = self.env._(
                    "Not retried: a SEPA debit is retried at most %(count)s "
                    "time(s) under this policy.",
                    count=self.dunning_policy_id.sepa_max_retries,
                )
        if not reason:
            reason = self._recurring_get_charge_blocker()
        if not reason:
            # The charge job sends it, on its own commit boundaries; the
            # transaction it creates is tied to this step, whose outcome is
            # recorded when the provider answers.
            self._recurring_schedule_charge()
            return {"outcome": "running"}
        # The retry cannot run: its email (the reminder the customer would
        # have had had it failed) still goes out, unless the retry is silent.
        vals = {"outcome": "skipped", "note": reason}
        if not step.silent:
            vals.update(self._dunning_prepare_letter(step.mail_template_id))
        return vals

    def _dunning_record_retry_outcome(self, history, tx):
        """The answer of the provider to a retry: paid, failed (then the
        step's email, unless the retry is silent) or still pending."""
        self.ensure_one()
        vals = {"transaction_id": tx.id}
        if tx.state == "done":
            vals["outcome"] = "paid"
        elif tx.state in ("error", "cancel"):
            vals["outcome"] = "failed"
            vals["note"] = tx.state_message
            step = history.step_id
            if (
                not step.silent
                and step.mail_template_id
                and not history.mail_message_id
            ):
                vals.update(self._dunning_send_mail(step.mail_template_id))
        else:
            vals["outcome"] = "pending"
        history.write(vals)

    def _dunning_step_email(self, step, history):
        if not step.mail_template_id:
            return {"outcome": "skipped", "note": self.env._("No email template.")}
        return self._dunning_prepare_letter(step.mail_template_id)

    def _dunning_step_suspend(self, step, history):
        subscription = self.subscription_id.sudo()
        if subscription.subscription_state not in ("trial", "active", "to_close"):
            return {
                "outcome": "skipped",
                "note": self.env._(
                    "The subscription is %(state)s: not suspended.",
                    state=subscription._subscription_state_label(),
                ),
            }
        subscription._dunning_suspend()
        return self._dunning_prepare_letter(step.mail_template_id)

    def _dunning_step_pause(self, step, history):
        subscription = self.subscription_id.sudo()
        if not subscription._dunning_can_pause():
            return {
                "outcome": "skipped",
                "note": self.env._("The subscription cannot be paused."),
            }
        return self._dunning_prepare_letter(
            step.mail_template_id, dunning_history_id=history.id
        )

    def _dunning_step_notice(self, step, history):
        return self._dunning_prepare_letter(step.mail_template_id, notice=True)

    def _dunning_step_close(self, step, history):
        subscription = self.subscription_id.sudo()
        if subscription.subscription_state in ("closed", False, "draft"):
            return {"outcome": "skipped", "note": self.env._("Already closed.")}
        subscription._dunning_close()
        vals = self._dunning_prepare_letter(step.mail_template_id)
        running = subscription.subscription_invoice_ids.filtered(
            lambda move: move.dunning_state == "running"
        )
        (running | self)._dunning_stop("closed")
        return vals

    def _dunning_send_mail(self, mail_template, attachment_ids=None, **context):
        """Post ``mail_template`` on the invoice for its customer (queued,
        never sent inside the transaction).

        :return: the history values saying so
        """
        self.ensure_one()
        if not mail_template:
            return {}
        # The links of the email carry the invoice's access token: create it
        # with the dunning's write, not Odoo's full write of invoices.
        self.with_context(**DUNNING_WRITE_CONTEXT)._portal_ensure_token()
        # Odoo's composer, without a context per invoice (see
        # post_template_message).
        message = post_template_message(
            self.sudo(),
            mail_template,
            context=context,
            attachment_ids=attachment_ids or [],
        )
        if not self._dunning_has_email_address(message):
            return {
                "email_sent": False,
                "email_missing": True,
                "mail_message_id": message.id,
            }
        return {"email_sent": True, "mail_message_id": message.id}

    def _dunning_has_email_address(self, message):
        """Whether the message posted for the customer reaches an email
        address: a recipient without one gets nothing."""
        recipients = message.partner_ids or self.partner_id
        return any(email_normalize(partner.email) for partner in recipients)

    # ------------------------------------------------------------
    # BUSINESS METHODS: LINKS FOR THE EMAILS
    # ------------------------------------------------------------

    def _dunning_get_letter_invoices(self):
        """The invoices the letter about this invoice is about: itself, and
        the customer's other invoices at the same step the same day."""
        self.ensure_one()
        ids = self.env.context.get("dunning_move_ids")
        moves = self.browse(ids) if ids else self
        return moves.sorted(lambda move: (move.invoice_date_due, move.id))

    def _dunning_needs_new_method(self):
        self.ensure_one()
        return self.dunning_failure_class == "hard"

    def _dunning_get_action_url(self):
        """Where the email sends the customer: to replace the payment method
        after a hard decline, otherwise to pay the invoice online (also the
        on-session payment that authentication needs)."""
        self.ensure_one()
        if self._dunning_needs_new_method():
            return self.get_base_url() + "/my/payment_method"
        return self._recurring_get_pay_url()

    def _dunning_get_pause_url(self):
        self.ensure_one()
        history_id = self.env.context.get("dunning_history_id")
        history = self.env["recurring.dunning.history"].sudo().browse(history_id)
        if not history.exists():
            history = self.dunning_history_ids.filtered(lambda h: h.action == "pause")[
                :1
            ]
        if not history:
            return ""
        return history._get_pause_url()
