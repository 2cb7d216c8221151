# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging

from odoo import fields, models

from ..tools import CONTENTION_ERRORS
from .payment_transaction import LIVE_STATES

_logger = logging.getLogger(__name__)


class RecurringInvoiceChargeOutcome(models.AbstractModel):
    """What became of the automatic charge of a subscription invoice: the
    provider's answer recorded on the invoice, an answer that was lost kept
    *unknown* and asked of the provider again. Sending the charge is
    ``recurring.invoice.payment``'s."""

    _name = "recurring.invoice.charge.outcome"
    _description = "Subscription Invoice Automatic Charge Outcome"

    # ------------------------------------------------------------
    # ACTION METHODS
    # ------------------------------------------------------------

    def action_recurring_check_charge(self):
        """Ask the payment provider now what became of the automatic charge of
        these invoices whose answer was lost or is still awaited."""
        self.check_access("write")
        Charge = self.env["recurring.payment.charge"].with_context(
            recurring_charge_commit=True
        )
        transactions = self.sudo().recurring_charge_ids.filtered(
            lambda tx: tx.state in LIVE_STATES
        )
        Charge._check_charges(transactions)
        return True

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _recurring_settle_charge(self, tx):
        """The provider answered about the charge ``tx``: its outcome is no
        longer unknown; let Odoo post-process it, and commit.

        :return: ``False`` when another worker recorded it meanwhile (this
            worker's part is rolled back)
        """
        self.ensure_one()
        Charge = self.env["recurring.payment.charge"]
        if tx.recurring_outcome_unknown:
            tx.recurring_outcome_unknown = False
        try:
            self._recurring_post_process_charge(tx)
        except CONTENTION_ERRORS as error:
            Charge._rollback(error)
            return False
        Charge._commit(contention_ok=True)
        return True

    def _recurring_post_process_charge(self, tx):
        """Let Odoo post-process the charge ``tx`` (pay and reconcile the
        invoice), which records its outcome on the invoice. If it fails, a
        failure is recorded all the same; a payment is left pending, and the
        check job and Odoo's post-processing job try again."""
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                if tx.is_post_processed:
                    self._recurring_record_charge_outcome(tx)
                else:
                    tx._post_process()
        except CONTENTION_ERRORS:
            raise
        except Exception:  # noqa: BLE001 - post-processed again later
            _logger.exception("Post-processing of charge %s failed", tx.reference)
            tx.invalidate_recordset()
            self.invalidate_recordset()
            if tx.state == "done":
                # Paid at the provider, not recorded in the accounts yet: the
                # check job (and Odoo's post-processing job) tries again.
                self._recurring_write_charge(
                    {
                        "recurring_charge_state": "pending",
                        "recurring_charge_message": self.env._(
                            "Paid at the payment provider (%(reference)s); "
                            "recording the payment failed and is tried again.",
                            reference=tx.reference,
                        ),
                    }
                )
            else:
                self._recurring_record_charge_outcome(tx)

    def _recurring_record_unknown_outcome(self, tx, error):
        """The answer to the charge ``tx`` was lost: unless a notification of
        the provider settled it meanwhile, the invoice waits for the provider
        to be asked again."""
        self.ensure_one()
        if tx.state not in LIVE_STATES:
            # Settled by a notification that arrived while this worker waited.
            self._recurring_post_process_charge(tx)
            return
        if not tx.recurring_outcome_unknown:
            tx.recurring_outcome_unknown = True
        if tx == self.recurring_charge_ids.sorted("id")[-1:]:
            self._recurring_write_charge(
                {
                    "recurring_charge_state": "unknown",
                    "recurring_charge_message": self.env._(
                        "The answer of the payment provider to %(reference)s was "
                        "not received (%(error)s). The provider will be asked "
                        "what became of the payment; no other attempt is made "
                        "until then.",
                        reference=tx.reference,
                        error=type(error).__name__,
                    ),
                }
            )

    def _recurring_check_charge(self, tx):
        """Ask the provider what became of the charge ``tx`` of this invoice,
        whose answer was lost or is still awaited, and record it; send it again
        with the same reference and idempotency key when the provider never
        received it. Committed on its own.

        :return: whether the charge is settled (paid, failed or cancelled)
        """
        self.ensure_one()
        Charge = self.env["recurring.payment.charge"]
        try:
            locked = Charge._lock_records(tx)
        except CONTENTION_ERRORS as error:
            Charge._rollback(error)
            return False
        if not locked:
            return False
        tx.invalidate_recordset()
        tx.recurring_checked_datetime = fields.Datetime.now()
        if tx.state in LIVE_STATES:
            try:
                with self.env.cr.savepoint():
                    found = tx._recurring_query_provider()
            except CONTENTION_ERRORS as error:
                Charge._rollback(error)
                return False
            except Exception as error:  # noqa: BLE001 - asked again next time
                _logger.warning(
                    "Charge %s: the provider could not be asked (%s: %s)",
                    tx.reference,
                    type(error).__name__,
                    error,
                )
                tx.invalidate_recordset()
                Charge._commit(contention_ok=True)
                return False
            tx.invalidate_recordset()
            if found is False and tx.recurring_outcome_unknown:
                # The provider never received it: send it again, as it was.
                tx.write(tx._recurring_prepare_sent_vals(tx.recurring_send_count))
                Charge._commit()
                self._recurring_send_charge(tx)
                tx.invalidate_recordset()
                return tx.state not in LIVE_STATES
        if tx.state not in LIVE_STATES:
            return self._recurring_settle_charge(tx)
        if not tx.recurring_outcome_unknown:
            self._recurring_record_charge_outcome(tx)
        Charge._commit(contention_ok=True)
        return False

    def _recurring_record_charge_outcome(self, tx):
        """Record on the invoice what became of its charge ``tx``: paid,
        pending, or failed (then tell the customer when they must act, and
        hand the invoice over for dunning)."""
        self.ensure_one()
        if tx != self.recurring_charge_ids.sorted("id")[-1:]:
            return  # An older attempt: the latest one speaks for the invoice.
        if tx.state == "done":
            # Odoo logs the payment on the invoice: no tracking message too.
            self.with_context(mail_notrack=True)._recurring_write_charge(
                {
                    "recurring_charge_state": "done",
                    "recurring_charge_message": self.env._(
                        "Paid by %(reference)s.", reference=tx.reference
                    ),
                }
            )
        elif tx.state in LIVE_STATES:
            state = "unknown" if tx.recurring_outcome_unknown else "pending"
            if self.recurring_charge_state != state:
                self._recurring_write_charge({"recurring_charge_state": state})
        elif self.recurring_charge_state != "failed" or (
            self.recurring_charge_message != tx.state_message
        ):
            reason = tx.state_message or self.env._("The payment failed.")
            self._recurring_write_charge(
                {"recurring_charge_state": "failed", "recurring_charge_message": reason}
            )
            if tx.failure_class == "customer":
                self._recurring_send_payment_mail(
                    "recurring_billing.mail_template_payment_authentication"
                )
            elif tx.failure_class == "hard":
                self._recurring_send_payment_mail(
                    "recurring_billing.mail_template_payment_method_refused"
                )
            self.subscription_id._recurring_payment_failed(self, tx, reason)
