# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta

from odoo import api, fields, models

# States in which a subscription brings monthly recurring revenue.
MRR_STATES = ("active", "to_close")
# Fields whose change may change the MRR: the log is written after them.
MRR_FIELDS = frozenset(
    {"state", "subscription_state", "order_line", "recurring_plan_id", "currency_id"}
)


class RecurringSubscriptionKpi(models.AbstractModel):
    """The MRR log of subscriptions: every change of a subscription's monthly
    recurring revenue writes a ``recurring.mrr.event`` when it happens."""

    _name = "recurring.subscription.kpi"
    _description = "Subscription MRR Movements"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    mrr_event_ids = fields.One2many(
        "recurring.mrr.event", "subscription_id", string="MRR Movements"
    )

    # ------------------------------------------------------------
    # CRUD METHODS
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        # Their lines, created with them, log nothing: the order logs once.
        orders = (
            super(
                RecurringSubscriptionKpi, self.with_context(recurring_kpi_no_log=True)
            )
            .create(vals_list)
            .with_env(self.env)
        )
        mrr_states = self._get_mrr_states()
        running = orders.filtered(lambda order: order.subscription_state in mrr_states)
        running._kpi_log_mrr(previous_states=dict.fromkeys(running.ids, False))
        return orders

    def write(self, vals):
        if not MRR_FIELDS.intersection(vals) or self.env.context.get(
            "recurring_kpi_no_log"
        ):
            return super().write(vals)
        states = {order.id: order.subscription_state for order in self}
        # One movement for the whole write: its lines, edited inside it, wait.
        res = super(
            RecurringSubscriptionKpi, self.with_context(recurring_kpi_no_log=True)
        ).write(vals)
        self._kpi_log_mrr(previous_states=states)
        return res

    # ------------------------------------------------------------
    # BUSINESS METHODS: CHANGES
    # ------------------------------------------------------------

    def _recompute_prices(self):
        """Prices recomputed by the pricelist ("Update Prices"): their
        computed prices are no write of the lines, one movement after all."""
        res = super(
            RecurringSubscriptionKpi, self.with_context(recurring_kpi_no_log=True)
        )._recompute_prices()
        self._kpi_log_mrr_after_edit()
        return res

    def _subscription_change(self, quantities, change_date=None):
        """A change takes effect on ``change_date``: its movement is dated so."""
        res = super(
            RecurringSubscriptionKpi, self.with_context(recurring_kpi_no_log=True)
        )._subscription_change(quantities, change_date)
        self._kpi_log_mrr(day=change_date, reason="change")
        return res

    # ------------------------------------------------------------
    # BUSINESS METHODS: MRR LOG
    # ------------------------------------------------------------

    @api.model
    def _get_mrr_states(self):
        """Subscription states in which a subscription brings monthly
        recurring revenue (an addon adding a state extends them)."""
        return MRR_STATES

    def _kpi_log_mrr_after_edit(self):
        """Log the change of MRR of these orders after an edit of what prices
        them (their lines, a product's tiers), unless the edit is part of a
        larger one that logs once at its end."""
        if self.env.context.get("recurring_kpi_no_log"):
            return self.env["recurring.mrr.event"]
        confirmed = self.filtered(
            lambda order: order.is_subscription and order.state == "sale"
        )
        return confirmed._kpi_log_mrr(reason="change")

    def _kpi_get_mrr(self):
        """Monthly recurring revenue of this subscription today, in its
        currency: the untaxed amount of its recurring lines after discounts
        (metered usage excluded) for one month; zero unless it runs and is
        paid (not in trial, paused or closed)."""
        self.ensure_one()
        if (
            self.state != "sale"
            or self.subscription_state not in self._get_mrr_states()
            or not self.recurring_plan_id
        ):
            return 0.0
        return self.currency_id.round(
            self.recurring_amount_untaxed
            / self.recurring_plan_id._get_months_per_period()
        )

    def _kpi_get_last_events(self):
        """``{subscription id: (MRR after, MRR after in company currency,
        date, ever had a 'new' movement)}`` of the last movement logged."""
        if not self.ids:
            return {}
        self.env["recurring.mrr.event"].flush_model()
        self.env.cr.execute(
            """
            SELECT DISTINCT ON (subscription_id)
                   subscription_id, mrr_after, mrr_after_company, date,
                   bool_or(event_type = 'new') OVER (PARTITION BY subscription_id)
              FROM recurring_mrr_event
             WHERE subscription_id IN %s
          ORDER BY subscription_id, id DESC
            """,
            [tuple(self.ids)],
        )
        return {row[0]: row[1:] for row in self.env.cr.fetchall()}

    def _kpi_get_event_reason(self, previous_state):
        """Why the MRR changes, by the move from ``previous_state`` (an addon
        adding a state extends it)."""
        self.ensure_one()
        state = self.subscription_state
        if state == "paused":
            return "pause"
        if state == "closed" or self.state == "cancel":
            return "close"
        if previous_state == "paused":
            return "resume"
        if previous_state == "trial":
            return "trial_end"
        if previous_state in ("to_close", "closed"):
            return "reopen"
        if previous_state in (False, "draft"):
            return "start"
        return "change"

    def _kpi_get_event_date(self, reason):
        """The day the movement takes effect: the start, the end of the
        trial, the pause when the job catches them up later; for a close,
        the day after the last day of service (the subscription counts until
        its last day, even when closed today); today otherwise."""
        self.ensure_one()
        today = self.company_id._get_today()
        if reason == "close" and self.subscription_end_date:
            return self.subscription_end_date + timedelta(days=1)
        day = {
            "start": self.subscription_start_date,
            "trial_end": self.trial_end_date,
            "pause": self.paused_since,
        }.get(reason)
        if reason == "start":
            return day or today
        return min(day, today) if day else today

    def _kpi_log_mrr(self, day=None, reason=None, previous_states=None):
        """Log the MRR movement of these subscriptions, if their MRR changed
        since their last movement.

        Called by the lifecycle (through ``write``) and by other addons when
        they change a subscription's MRR otherwise. An addon that changes it
        for a reason of its own may say so in the context, e.g.
        ``recurring_kpi_reason='suspend'``.

        :param day: the day it takes effect (by default, by the lifecycle)
        :param reason: a reason of ``recurring.mrr.event`` (by default, by
            the change of state)
        :param previous_states: ``{order id: subscription state before}``
        :return: the movements logged
        """
        subscriptions = self.filtered("is_subscription")
        last_events = subscriptions._kpi_get_last_events()
        vals_list = []
        for order in subscriptions:
            before, before_company, previous_date, had_new = last_events.get(
                order.id, (0.0, 0.0, False, False)
            )
            after = order._kpi_get_mrr()
            if not order.currency_id.compare_amounts(before, after):
                continue
            event_reason = (
                reason
                or self.env.context.get("recurring_kpi_reason")
                or order._kpi_get_event_reason(
                    (previous_states or {}).get(order.id, order.subscription_state)
                )
            )
            event_day = day or order._kpi_get_event_date(event_reason)
            if previous_date and event_day < previous_date:
                # After a close dated the day after the last day served.
                event_day = previous_date
            vals_list.append(
                order._prepare_mrr_event_vals(
                    event_day,
                    (before, before_company, previous_date),
                    after,
                    event_reason,
                    reactivated=had_new,
                )
            )
        return self.env["recurring.mrr.event"].sudo().create(vals_list).sudo(False)

    def _prepare_mrr_event_vals(self, day, before, after, reason, reactivated=False):
        """Values of the movement of this subscription's MRR on ``day``.

        :param before: ``(MRR, MRR in company currency, date)`` of the
            previous movement (zeros and ``False`` for the first one)
        :param after: the MRR after the movement, in the subscription's currency
        """
        self.ensure_one()
        company = self.company_id

        def convert(amount):
            if not amount:
                return 0.0
            return self.currency_id._convert(amount, company.currency_id, company, day)

        mrr_before, before_company, previous_date = before
        after_company = convert(after)
        # The MRR before at the rate of this day: the change is valued at
        # this rate, the revaluation of the MRR before is the FX effect.
        before_revalued = convert(mrr_before)
        partner = self.partner_id.commercial_partner_id
        return {
            "date": day,
            "subscription_id": self.id,
            "company_id": company.id,
            "partner_id": partner.id,
            "country_id": partner.country_id.id,
            "plan_id": self.recurring_plan_id.id,
            "template_id": self.sale_order_template_id.id,
            "user_id": self.user_id.id,
            "event_type": self.env["recurring.mrr.event"]._get_event_type(
                mrr_before, after, reactivated
            ),
            "reason": reason,
            "currency_id": self.currency_id.id,
            "company_currency_id": company.currency_id.id,
            "previous_date": previous_date,
            "mrr_before": mrr_before,
            "mrr_after": after,
            "mrr_delta": after - mrr_before,
            "mrr_before_company": before_company,
            "mrr_after_company": after_company,
            "mrr_delta_company": after_company - before_revalued,
            "mrr_fx_company": before_revalued - before_company,
        }

    def _kpi_backfill_events(self, invoiced):
        """The movements of a subscription that existed before the log: it
        started paying at the start of its service (or the end of its trial,
        if it was ever invoiced after it), and stopped when it was paused
        or closed. ``invoiced``: it has a posted period invoice.

        :return: the movements logged
        """
        self.ensure_one()
        Event = self.env["recurring.mrr.event"].sudo()
        if self.trial_end_date and not invoiced:
            return Event  # a trial that never became paid
        plan = self.recurring_plan_id
        mrr = self.currency_id.round(
            self.recurring_amount_untaxed / plan._get_months_per_period()
        )
        if not mrr:
            return Event
        start = self.trial_end_date or self.subscription_start_date
        new = Event.create(
            self._prepare_mrr_event_vals(start, (0.0, 0.0, False), mrr, "backfill")
        )
        end = {
            "paused": self.paused_since,
            "closed": self.subscription_end_date
            and self.subscription_end_date + timedelta(days=1)
            or self.company_id._get_today(),
        }.get(self.subscription_state)
        if end:
            new |= Event.create(
                self._prepare_mrr_event_vals(
                    max(end, start),
                    (mrr, new.mrr_after_company, start),
                    0.0,
                    "backfill",
                )
            )
        return new
