# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging
from datetime import timedelta

from psycopg2 import errors as pg_errors

from odoo import Command, api, fields, models
from odoo.tools import format_amount, format_date

from ..tools import CONTENTION_ERRORS
from ..tools.mail import post_template_message
from .payment_transaction import LIVE_STATES

_logger = logging.getLogger(__name__)

CHARGE_STATES = [
    ("to_charge", "To Charge"),
    ("pending", "Pending"),
    ("unknown", "Outcome Unknown"),
    ("done", "Paid"),
    ("failed", "Failed"),
    ("skipped", "Not Charged"),
]
SEPA_CODE = "sepa_direct_debit"


class RecurringInvoicePayment(models.AbstractModel):
    """The automatic charge of a subscription invoice with the subscription's
    saved payment method, through Odoo's payment stack: a ``payment.transaction``
    with ``operation='offline'`` and the invoice, as ``account_payment`` does
    for a payment by token; Odoo's post-processing pays and reconciles."""

    _name = "recurring.invoice.payment"
    _description = "Subscription Invoice Automatic Charge"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    recurring_charge_state = fields.Selection(
        CHARGE_STATES,
        string="Automatic Charge",
        compute="_compute_recurring_charge_state",
        store=True,
        readonly=False,
        copy=False,
        index="btree_not_null",
        tracking=True,
        help="To Charge: the invoice will be charged with the subscription's "
        "saved payment method on the charge date.\n"
        "Pending: the payment is under way (a SEPA debit takes days).\n"
        "Outcome Unknown: the payment provider's answer was lost; the provider "
        "is asked again what became of the payment, and no other attempt is "
        "made until then.\n"
        "Failed: the last charge failed (see the transaction).\n"
        "Not Charged: the invoice could not be charged (see why).",
    )
    recurring_charge_date = fields.Date(
        string="Charge Date",
        compute="_compute_recurring_charge_state",
        store=True,
        readonly=False,
        copy=False,
        help="The day the invoice is charged: its date plus the delay of the "
        "subscription's template (e.g. the SEPA pre-notification).",
    )
    recurring_charge_message = fields.Text(
        string="Charge Outcome",
        compute="_compute_recurring_charge_state",
        store=True,
        readonly=True,
        copy=False,
    )
    recurring_prenotified = fields.Boolean(
        string="Debit Pre-Notified",
        copy=False,
        readonly=True,
        help="The customer was told of the amount and date of the SEPA debit.",
    )
    recurring_charge_ids = fields.One2many(
        "payment.transaction",
        "recurring_invoice_id",
        string="Automatic Charges",
        readonly=True,
    )
    recurring_charge_failure = fields.Selection(
        related="recurring_charge_ids.failure_class",
        string="Charge Failure",
    )

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    @api.depends("state", "subscription_id")
    def _compute_recurring_charge_state(self):
        to_trigger = False
        for move in self:
            chargeable = (
                move.state == "posted"
                and move.move_type == "out_invoice"
                and move.subscription_id
            )
            if not chargeable:
                if move.recurring_charge_state == "to_charge":
                    move.recurring_charge_state = False
                continue
            if move.recurring_charge_state:
                continue
            subscription = move.subscription_id.sudo()
            if subscription.recurring_payment_mode != "auto":
                continue
            if move.currency_id.compare_amounts(move.amount_total, 0.0) <= 0:
                move.recurring_charge_state = "skipped"
                move.recurring_charge_message = self.env._(
                    "Nothing is left to pay on this invoice."
                )
                continue
            delay = subscription.sale_order_template_id.charge_delay_days
            day = move.invoice_date or move.company_id._get_today()
            move.recurring_charge_state = "to_charge"
            move.recurring_charge_date = day + timedelta(days=delay)
            to_trigger = True
        if to_trigger:
            cron = self.env.ref(
                "recurring_billing.ir_cron_recurring_payment_charge",
                raise_if_not_found=False,
            )
            if cron:
                cron.sudo()._trigger()

    # ------------------------------------------------------------
    # ACTION METHODS
    # ------------------------------------------------------------

    def action_recurring_charge_now(self):
        """Charge these subscription invoices now with their subscription's
        saved payment method (a new attempt after a failure, or before the
        charge date)."""
        self.check_access("write")
        self.filtered(
            lambda move: move.recurring_charge_state
            not in ("pending", "unknown", "done")
        ).sudo().with_context(recurring_charge_commit=True)._recurring_charge()
        return True

    # ------------------------------------------------------------
    # BUSINESS METHODS: CHARGE
    # ------------------------------------------------------------

    def _recurring_is_sepa(self):
        self.ensure_one()
        token = self.subscription_id.sudo().payment_token_id
        return token.payment_method_id.primary_payment_method_id.code == SEPA_CODE or (
            token.payment_method_code == SEPA_CODE
        )

    def _recurring_get_charge_blocker(self):
        """Why this invoice cannot be charged now, or ``False``.

        :return: a translated reason, or ``False``
        """
        self.ensure_one()
        subscription = self.subscription_id.sudo()
        token = subscription.payment_token_id
        currency = self.currency_id
        if self.state != "posted" or self.move_type != "out_invoice":
            return self.env._("Only a posted customer invoice can be charged.")
        if currency.compare_amounts(self.amount_residual, 0.0) <= 0:
            return self.env._("Nothing is left to pay on this invoice.")
        if subscription.recurring_payment_mode != "auto":
            return self.env._(
                "The subscription %(subscription)s is paid manually.",
                subscription=subscription.display_name,
            )
        if not token:
            return self.env._(
                "The subscription %(subscription)s has no saved payment method.",
                subscription=subscription.display_name,
            )
        provider = token.provider_id
        if provider.state == "disabled":
            return self.env._(
                "The payment provider %(provider)s is disabled.",
                provider=provider.display_name,
            )
        if provider.state == "test" and not self.company_id.recurring_test_charges:
            return self.env._(
                "The payment provider %(provider)s is in test mode: it cannot "
                "collect real money for %(company)s. Enable it, or allow test "
                "charges in the company's settings.",
                provider=provider.display_name,
                company=self.company_id.display_name,
            )
        token_problem = subscription._recurring_check_token(token)
        if token_problem:
            return token_problem
        if token.partner_id.commercial_partner_id != self.commercial_partner_id:
            return self.env._(
                "The payment method %(token)s does not belong to the customer "
                "of the invoice.",
                token=token.display_name,
            )
        method = token.payment_method_id.primary_payment_method_id or (
            token.payment_method_id
        )
        supported = method.supported_currency_ids
        if (self._recurring_is_sepa() and currency.name != "EUR") or (
            supported and currency not in supported
        ):
            return self.env._(
                "The payment method %(method)s cannot pay in %(currency)s.",
                method=method.display_name,
                currency=currency.name,
            )
        live = self.sudo().transaction_ids.filtered(
            lambda tx: tx.state in ("pending", "authorized")
        )
        if live:
            return self.env._(
                "A payment of this invoice is already under way (%(reference)s).",
                reference=live[0].reference,
            )
        return False

    def _recurring_prepare_charge_transaction_vals(self):
        """The values of the offline transaction charging this invoice, as
        ``account.payment._prepare_payment_transaction_vals`` builds them."""
        self.ensure_one()
        token = self.subscription_id.sudo().payment_token_id
        invoice_command = [Command.set(self.ids)]
        return {
            "provider_id": token.provider_id.id,
            "payment_method_id": token.payment_method_id.id,
            "reference": self.env["payment.transaction"]._compute_reference(
                token.provider_id.code, invoice_ids=invoice_command
            ),
            "amount": self.amount_residual,
            "currency_id": self.currency_id.id,
            "partner_id": self.partner_id.id,
            "token_id": token.id,
            "operation": "offline",
            "invoice_ids": invoice_command,
            "recurring_invoice_id": self.id,
        }

    def _recurring_charge(self):
        """Charge these invoices with their subscription's payment method, or
        record why not. Never raises for a bad input; never charges twice.

        Each charge has its own commit boundaries, as Odoo's
        ``payment.transaction._cron_post_process``: lock the invoice, create
        its transaction marked as sent, commit; send it; record the outcome,
        commit. A webhook of the provider finds the transaction whenever it
        arrives, and an answer that is lost leaves the charge *unknown*, to be
        asked of the provider again (``_recurring_check_charge``), never
        guessed. Where the caller does not own the transaction (see
        ``recurring.payment.charge._can_commit``), the same steps run in
        savepoints.

        :return: the transactions created
        """
        Charge = self.env["recurring.payment.charge"]
        states = {move.id: move.recurring_charge_state for move in self}
        to_charge = self._recurring_sort_out_charges()
        Charge._commit()
        transactions = self.env["payment.transaction"].sudo()
        for move in to_charge:
            move = move.with_company(move.company_id)
            tx = move._recurring_start_charge(states[move.id])
            if tx:
                move._recurring_send_charge(tx.with_company(tx.company_id))
                transactions |= tx
        return transactions

    def _recurring_schedule_charge(self):
        """Hand these invoices to the charge job for a new attempt today, each
        on its own commit boundaries (see ``_recurring_charge``), and wake
        the job: for callers inside a transaction of their own, such as the
        dunning job's retry step."""
        for move in self:
            move._recurring_write_charge(
                {
                    "recurring_charge_state": "to_charge",
                    "recurring_charge_date": move.company_id._get_today(),
                    "recurring_charge_message": False,
                }
            )
        cron = self.env.ref(
            "recurring_billing.ir_cron_recurring_payment_charge",
            raise_if_not_found=False,
        )
        if cron:
            cron.sudo()._trigger()

    def _recurring_sort_out_charges(self):
        """Record what becomes of the invoices that are not to be charged now:
        pending when a charge is live, pre-notified when a SEPA debit was not
        announced yet, skipped with the reason when something else blocks it
        (each in its own savepoint).

        :return: the invoices to charge
        """
        to_charge = self.browse()
        for move in self:
            live = move.sudo().recurring_charge_ids.filtered(
                lambda tx: tx.state in LIVE_STATES
            )
            if live:
                move._recurring_write_charge(
                    {
                        "recurring_charge_state": "unknown"
                        if live.filtered("recurring_outcome_unknown")
                        else "pending"
                    }
                )
                continue
            try:
                blocker = move._recurring_get_charge_blocker()
            except CONTENTION_ERRORS:
                raise
            except Exception as error:  # noqa: BLE001 - isolate one bad invoice
                _logger.warning(
                    "Invoice %s could not be charged: %s", move.id, error, exc_info=True
                )
                blocker = str(error.args[0]) if error.args else str(error)
            if not blocker and (
                move._recurring_is_sepa() and not move.recurring_prenotified
            ):
                # Not a failure: the debit waits for its notice, and is taken
                # on the date the notice gives.
                with self.env.cr.savepoint():
                    move._recurring_send_prenotification()
                continue
            if blocker:
                with self.env.cr.savepoint():
                    move._recurring_skip(blocker)
                continue
            to_charge |= move
        return to_charge

    def _recurring_start_charge(self, expected_state):
        """Lock this invoice, create the transaction charging it, marked as
        sent, and commit: from then on, whatever happens to this worker, the
        charge is known to have maybe reached the provider.

        :param expected_state: the charge state the invoice was chosen in; if
            another worker changed it meanwhile, the invoice is left to it
        :return: the transaction, or an empty recordset when another worker
            holds the invoice or a charge of it is already live
        """
        self.ensure_one()
        Charge = self.env["recurring.payment.charge"]
        Transaction = self.env["payment.transaction"].sudo()
        try:
            locked = Charge._lock_records(self)
        except CONTENTION_ERRORS as error:
            # Changed by another worker since this one's snapshot.
            Charge._rollback(error)
            return Transaction
        if not locked:
            return Transaction  # Another worker is on it.
        self.invalidate_recordset()
        if (
            self.state != "posted"
            or self.recurring_charge_state != expected_state
            or self.currency_id.compare_amounts(self.amount_residual, 0.0) <= 0
        ):
            Charge._commit()
            return Transaction
        # The state of an earlier attempt must reach the database before the
        # unique index judges the new one.
        Transaction.flush_model(["state"])
        tx = self._recurring_create_charge_transaction()
        if tx:
            # Committed with the transaction: whoever locks the invoice next
            # sees that it is taken. The outcome is tracked, not this step.
            self.with_context(mail_notrack=True)._recurring_write_charge(
                {"recurring_charge_state": "pending"}
            )
        try:
            Charge._commit()
        except CONTENTION_ERRORS as error:
            Charge._rollback(error)
            return Transaction
        return tx

    def _recurring_create_charge_transaction(self):
        """Create the transaction charging this invoice, marked as sent.

        :return: the transaction, or an empty recordset
        """
        self.ensure_one()
        Transaction = self.env["payment.transaction"].sudo()
        try:
            with self.env.cr.savepoint():
                return Transaction.create(
                    dict(
                        self._recurring_prepare_charge_transaction_vals(),
                        **Transaction._recurring_prepare_sent_vals(),
                    )
                )
        except CONTENTION_ERRORS:
            raise
        except pg_errors.UniqueViolation:
            # Another worker started a charge of this invoice meanwhile.
            _logger.info("Invoice %s: a charge is already live.", self.id)
            self.invalidate_recordset()
            self._recurring_write_charge({"recurring_charge_state": "pending"})
        except Exception as error:  # noqa: BLE001 - isolate one bad invoice
            _logger.warning(
                "Invoice %s could not be charged: %s", self.id, error, exc_info=True
            )
            self.invalidate_recordset()
            with self.env.cr.savepoint():
                self._recurring_skip(str(error.args[0]) if error.args else str(error))
        return Transaction

    def _recurring_send_charge(self, tx):
        """Send the charge ``tx`` of this invoice to its provider (again, with
        the same reference and idempotency key, when its outcome is unknown),
        then let Odoo post-process it: pay and reconcile the invoice, or
        record the failure (see ``_recurring_record_charge_outcome``).

        An exception while sending means the answer was not received: the
        charge is left *unknown*, never recorded as a decline.
        """
        self.ensure_one()
        Charge = self.env["recurring.payment.charge"]
        try:
            with self.env.cr.savepoint():
                tx._send_payment_request()
        except CONTENTION_ERRORS as error:
            Charge._rollback(error)
            return
        except Exception as error:  # noqa: BLE001 - no answer: ask again later
            _logger.warning(
                "Charge %s of invoice %s: the provider's answer was not received "
                "(%s: %s); its outcome will be asked again.",
                tx.reference,
                self.id,
                type(error).__name__,
                error,
            )
            tx.invalidate_recordset()
            self.invalidate_recordset()
            self._recurring_record_unknown_outcome(tx, error)
            Charge._commit(contention_ok=True)
            return
        # The provider took the request without error: its answer, if it is
        # not final yet, comes by notification.
        self._recurring_settle_charge(tx)

    def _recurring_write_charge(self, vals):
        """Write the automatic-charge fields of these invoices. They touch no
        journal item: the checks ``account.move.write`` makes for journal
        items (balance, synchronised lines) and its ``is_manually_modified``
        flag do not apply."""
        return self.with_context(
            check_move_validity=False,
            skip_invoice_sync=True,
            skip_account_move_synchronization=True,
            skip_is_manually_modified=True,
        ).write(vals)

    def _recurring_skip(self, reason):
        self.ensure_one()
        self._recurring_write_charge(
            {"recurring_charge_state": "skipped", "recurring_charge_message": reason}
        )
        self.sudo().message_post(
            body=self.env._("Not charged automatically: %(reason)s", reason=reason)
        )
        # Not a decline: the customer is told nothing, and the invoice is
        # chased as one paid by hand, from its due date.
        self.subscription_id._recurring_payment_skipped(self, reason)

    def _recurring_send_payment_mail(self, xmlid):
        """Post the mail template ``xmlid`` on this invoice, for its customer."""
        mail_template = self.env.ref(xmlid, raise_if_not_found=False)
        if not mail_template:
            return
        post_template_message(self.sudo(), mail_template)

    def _recurring_get_pay_url(self):
        """The page where the customer pays this invoice online (Odoo's
        invoice portal page, with its payment form)."""
        self.ensure_one()
        return self.get_base_url() + self.get_portal_url()

    def _recurring_send_prenotification(self):
        """Tell the customer of the amount and date of the coming SEPA debit,
        and move the debit date if the notice would be too short."""
        for move in self:
            delay = move.subscription_id.sudo().sale_order_template_id.charge_delay_days
            earliest = move.company_id._get_today() + timedelta(days=delay)
            move.write(
                {
                    "recurring_prenotified": True,
                    "recurring_charge_date": max(move.recurring_charge_date, earliest),
                }
            )
            move._recurring_send_payment_mail(
                "recurring_billing.mail_template_sepa_prenotification"
            )

    def _recurring_get_prenotification_values(self):
        """Amount and date of the coming debit, formatted for the email."""
        self.ensure_one()
        token = self.subscription_id.sudo().payment_token_id
        return {
            "amount": format_amount(self.env, self.amount_residual, self.currency_id),
            "date": format_date(self.env, self.recurring_charge_date),
            "mandate": token._recurring_get_mandate_reference() if token else "",
        }
