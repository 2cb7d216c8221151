# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import format_date

# States in which the subscriber has access to the service.
ACCESS_STATES = ("trial", "active", "to_close")


class SaleOrder(models.Model):
    _inherit = "sale.order"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    subscription_state = fields.Selection(
        selection_add=[("suspended", "Suspended (unpaid)"), ("paused",)],
        ondelete={
            "suspended": lambda orders: orders.write({"subscription_state": "active"})
        },
    )
    dunning_suspended_since = fields.Date(
        string="Suspended Since", copy=False, readonly=True
    )
    service_access = fields.Boolean(
        compute="_compute_service_access",
        store=True,
        help="Whether the subscriber may use the service. Off while the "
        "subscription is suspended for non-payment, paused or closed; other "
        "modules read this field (or override _on_service_access_changed).",
    )
    dunning_invoice_ids = fields.One2many(
        "account.move",
        compute="_compute_dunning_info",
        string="Invoices in Dunning",
    )
    dunning_invoice_count = fields.Integer(compute="_compute_dunning_info")
    dunning_history_ids = fields.One2many(
        "recurring.dunning.history", "subscription_id", string="Dunning History"
    )

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    @api.depends("subscription_state")
    def _compute_service_access(self):
        changed = self.browse()
        for order in self:
            access = order.subscription_state in ACCESS_STATES
            if order.service_access != access and order._origin:
                changed |= order
            order.service_access = access
        if changed:
            changed._on_service_access_changed()

    @api.depends("subscription_invoice_ids.dunning_state")
    def _compute_dunning_info(self):
        for order in self:
            moves = order.subscription_invoice_ids.filtered(
                lambda move: move.dunning_state == "running"
            )
            order.dunning_invoice_ids = moves
            order.dunning_invoice_count = len(moves)

    # ------------------------------------------------------------
    # HOOKS
    # ------------------------------------------------------------

    def _on_service_access_changed(self):
        """Called when ``service_access`` changes (suspension, resumption,
        pause, closing): a module giving the service overrides it to open or
        shut the subscriber's access."""

    # The core's groups of states, with ``suspended`` where it belongs. It is
    # not pausable (the pause offered by dunning ends the suspension first:
    # _dunning_accept_pause), not changeable (pay first), not counted in the
    # MRR (the suspension logs its movement) and not reopenable.

    @api.model
    def _get_billable_states(self):
        # A suspension is not a pause: the periods go on being billed.
        return tuple(super()._get_billable_states()) + ("suspended",)

    @api.model
    def _get_running_states(self):
        # Started and not closed: usage is recorded, the payment method kept,
        # closing it now closes it.
        return tuple(super()._get_running_states()) + ("suspended",)

    @api.model
    def _get_cancellable_states(self):
        # A subscriber may always cancel; suspended, it closes at once.
        return tuple(super()._get_cancellable_states()) + ("suspended",)

    def _closes_at_once_on_cancel(self):
        # The service is off: cancelled, it ends now rather than giving access
        # back until the end of the period. Its unpaid invoices stay due.
        return (
            super()._closes_at_once_on_cancel()
            or self.subscription_state == "suspended"
        )

    def _get_portal_state_label(self):
        # In the subscriber's words: what is off, and why.
        self.ensure_one()
        if self.subscription_state == "suspended":
            return self.env._("Service suspended: an invoice is unpaid")
        return super()._get_portal_state_label()

    def _kpi_get_event_reason(self, previous_state):
        # Suspended, it brings no MRR: its movement is a suspension, and
        # its end a resumption.
        self.ensure_one()
        if self.subscription_state == "suspended":
            return "suspend"
        if previous_state == "suspended" and self.subscription_state != "closed":
            return "resume"
        return super()._kpi_get_event_reason(previous_state)

    def _kpi_get_event_date(self, reason):
        self.ensure_one()
        if reason == "suspend" and self.dunning_suspended_since:
            return min(self.dunning_suspended_since, self.company_id._get_today())
        return super()._kpi_get_event_date(reason)

    def _recurring_payment_failed(self, invoice, transaction, reason):
        """The failed charge starts the dunning of the invoice, from today
        (the salesperson is told once, as without dunning); the failures of
        the retries that follow only update the invoice's dunning."""
        self.ensure_one()
        failure = transaction.failure_class if transaction else "hard"
        if invoice.dunning_state == "running":
            invoice._dunning_start(False, failure)
            return
        invoice._dunning_start(invoice.company_id._get_today(), failure)
        super()._recurring_payment_failed(invoice, transaction, reason)

    # ------------------------------------------------------------
    # ACTION METHODS
    # ------------------------------------------------------------

    def action_subscription_resume(self):
        """The invoices paused with the subscription are chased again, their
        steps pushed back by the days paused."""
        paused_since = {order.id: order.paused_since for order in self}
        res = super().action_subscription_resume()
        for order in self:
            order._dunning_resume_paused_invoices(paused_since[order.id])
        return res

    def action_subscription_cancel_at_period_end(self):
        """A subscription suspended for non-payment may be cancelled too (the
        consumer's right to cancel does not depend on the debt): it closes
        today (``_closes_at_once_on_cancel``), as it gives no service any
        more; its overdue invoices remain due and their dunning goes on."""
        suspended = self.filtered(lambda o: o.subscription_state == "suspended")
        res = super().action_subscription_cancel_at_period_end()
        for order in suspended:
            order.message_post(
                body=self.env._(
                    "Cancelled on %(date)s while suspended for non-payment: "
                    "closed at once; the overdue invoices remain due.",
                    date=format_date(self.env, order.company_id._get_today()),
                )
            )
        return res

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _get_overdue_subscription_invoices(self, today=None):
        """Posted invoices of these subscriptions still unpaid after their due
        date.

        :param today: the reference date; by default each company's own today
        :return: an ``account.move`` recordset
        """
        moves = self.env["account.move"]
        for orders in self.grouped("company_id").values():
            day = today or orders.company_id._get_today()
            moves |= moves.search(
                moves._get_overdue_subscription_invoices_domain(day)
                + [("subscription_id", "in", orders.ids)],
                order="invoice_date_due, id",
            )
        return moves

    def _dunning_suspend(self):
        for order in self:
            order.write(
                {
                    "subscription_state": "suspended",
                    "dunning_suspended_since": order.company_id._get_today(),
                }
            )
            order.message_post(
                body=self.env._(
                    "Suspended for non-payment: access is off until the overdue "
                    "invoices are paid; invoicing goes on."
                )
            )

    def _dunning_resume_if_paid(self):
        """Resume the suspended subscriptions none of whose invoices is still
        in dunning (unpaid)."""
        for order in self.filtered(lambda o: o.subscription_state == "suspended"):
            unpaid = order.subscription_invoice_ids.filtered(
                lambda move: move.dunning_state == "running"
                and not move._dunning_is_paid()
            )
            if unpaid:
                continue
            order.write(
                {"subscription_state": "active", "dunning_suspended_since": False}
            )
            order.message_post(
                body=self.env._(
                    "Resumed: the overdue invoices are paid, access is back."
                )
            )

    def _dunning_can_pause(self):
        self.ensure_one()
        return bool(
            self.sale_order_template_id.dunning_allow_pause
            and self.subscription_state in (*self._get_pausable_states(), "suspended")
        )

    def _dunning_accept_pause(self):
        """The customer chose to pause rather than leave: the subscription is
        paused (a suspension ends), the dunning of its invoices stops (they
        stay due)."""
        for order in self:
            if order.subscription_state == "suspended":
                order.write(
                    {"subscription_state": "active", "dunning_suspended_since": False}
                )
            order.action_subscription_pause()
            order.subscription_invoice_ids.filtered(
                lambda move: move.dunning_state == "running"
            )._dunning_stop("paused")
            order.message_post(
                body=self.env._("Paused by the customer from the dunning email.")
            )

    def _dunning_resume_paused_invoices(self, paused_since):
        """Chase again the invoices whose dunning the pause stopped: from
        today, their next steps as many days later as the pause lasted."""
        self.ensure_one()
        today = self.company_id._get_today()
        shift = today - paused_since if paused_since else timedelta()
        moves = self.sudo().subscription_invoice_ids.filtered(
            lambda move: move.dunning_state == "paused"
        )
        for move in moves:
            if move._dunning_is_paid():
                move._dunning_stop("recovered")
                continue
            start_date = move.dunning_start_date + shift
            move._dunning_write(
                dict(
                    {"dunning_state": "running", "dunning_start_date": start_date},
                    **move._dunning_get_next_step_vals(start_date=start_date),
                )
            )
            move._message_log(
                body=self.env._(
                    "Dunning resumed with the subscription: its next steps "
                    "come %(days)s day(s) later.",
                    days=shift.days,
                )
            )

    def _dunning_close(self):
        reason = self.env.ref(
            "recurring_billing.close_reason_unpaid", raise_if_not_found=False
        )
        for order in self:
            order._subscription_close(order.company_id._get_today(), reason=reason)
            order.message_post(
                body=self.env._("Closed for non-payment by the dunning policy.")
            )
