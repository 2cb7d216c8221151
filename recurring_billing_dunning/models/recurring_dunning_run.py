# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging

from odoo import api, models
from odoo.osv import expression

from odoo.addons.recurring_billing.tools import CONTENTION_ERRORS, lock_batch

_logger = logging.getLogger(__name__)


class RecurringDunningRun(models.AbstractModel):
    """The dunning job: puts the overdue invoices of customers paying by
    themselves in dunning, and takes the steps due, one batch per call."""

    _name = "recurring.dunning.run"
    _description = "Dunning Job"

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    @api.model
    def _get_invoices_to_start_domain(self):
        """Overdue subscription invoices of customers paying by themselves, or
        whose automatic charge was skipped (no payment method, provider in
        test mode...: no decline), not in dunning yet (an automatic charge
        hands its failures over)."""
        companies = self.env["res.company"]
        return expression.AND(
            [
                [
                    ("move_type", "=", "out_invoice"),
                    ("state", "=", "posted"),
                    ("subscription_id", "!=", False),
                    "|",
                    ("subscription_id.recurring_payment_mode", "!=", "auto"),
                    ("recurring_charge_state", "=", "skipped"),
                    ("payment_state", "in", ("not_paid", "partial")),
                    ("dunning_state", "=", False),
                    ("dunning_error", "=", False),
                ],
                companies._get_today_domain("invoice_date_due", "<"),
            ]
        )

    @api.model
    def _get_invoices_due_domain(self):
        """Invoices in dunning whose next step is due today."""
        return expression.AND(
            [
                [
                    ("dunning_state", "=", "running"),
                    ("dunning_next_date", "!=", False),
                    ("dunning_error", "=", False),
                ],
                self.env["res.company"]._get_today_domain("dunning_next_date", "<="),
            ]
        )

    @api.model
    def _lock_batch(self, domain, batch_size, order):
        """Select and lock, in one query, up to ``batch_size`` invoices of
        ``domain`` that no other worker holds."""
        return lock_batch(self.env["account.move"], domain, order, batch_size)

    @api.model
    def _process(self, invoices, method):
        """Call ``method`` on each invoice in its own savepoint; a failure is
        recorded on the invoice, which leaves the job's domains."""
        done = 0
        for invoice in invoices:
            company = invoice.company_id
            invoice = company._with_job_lang(invoice.with_company(company))
            try:
                with self.env.cr.savepoint():
                    getattr(invoice, method)()
            except CONTENTION_ERRORS:
                raise
            except Exception as error:  # noqa: BLE001 - recorded, then skipped
                _logger.exception("Dunning of invoice %s failed", invoice.id)
                invoice.invalidate_recordset()
                invoice.sudo()._dunning_write(
                    {"dunning_error": str(error) or repr(error)}
                )
            done += 1
        return done

    @api.model
    def _process_letters(self, invoices):
        """Take the due step of ``invoices`` by customer and step, so that
        each customer gets one letter per step (``_dunning_take_step``); when
        a group fails, its invoices are taken one by one, so that the failure
        is recorded on the invoice that caused it."""
        done = 0
        groups = invoices.grouped(
            lambda move: (
                move.company_id,
                move.commercial_partner_id,
                move.dunning_next_step_id,
            )
        )
        for (company, _partner, _step), moves in groups.items():
            if len(moves) == 1:
                done += self._process(moves, "_dunning_take_step")
                continue
            try:
                with self.env.cr.savepoint():
                    company._with_job_lang(
                        moves.with_company(company)
                    )._dunning_take_step()
                done += len(moves)
            except CONTENTION_ERRORS:
                raise
            except Exception:  # noqa: BLE001 - retried one by one
                _logger.exception(
                    "Dunning of invoices %s failed, retried one by one", moves.ids
                )
                moves.invalidate_recordset()
                done += self._process(moves, "_dunning_take_step")
        return done

    @api.model
    def _cron_dunning(self, batch_size=200):
        """One batch per call: the framework commits and calls again while
        work remains (``_notify_progress``)."""
        Move = self.env["account.move"].sudo()
        to_start = self._lock_batch(
            self._get_invoices_to_start_domain(), batch_size, "invoice_date_due, id"
        )
        done = self._process(to_start, "_dunning_start_from_due_date")
        if batch_size > done:
            domain = self._get_invoices_due_domain()
            due = self._lock_batch(domain, batch_size - done, "dunning_next_date, id")
            if due:
                # The customers' other invoices due, so that their letter
                # lists them all.
                due |= self._lock_batch(
                    expression.AND(
                        [
                            domain,
                            [
                                (
                                    "commercial_partner_id",
                                    "in",
                                    due.commercial_partner_id.ids,
                                ),
                                ("id", "not in", due.ids),
                            ],
                        ]
                    ),
                    None,
                    "dunning_next_date, id",
                )
            done += self._process_letters(due)
        remaining = Move.search_count(
            self._get_invoices_to_start_domain()
        ) + Move.search_count(self._get_invoices_due_domain())
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        return done
