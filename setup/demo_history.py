# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The demo company's history, lived day by day (``tasks.py demo``).

The demo data hold the company, its products, templates and customers, and
their subscriptions as quotations, each with its start date over the last 18
months. ``build_history`` moves the clock from the first start date to today
and, each day, does what the company and its customers would have done that
day: confirm the subscriptions that start, report the API usage, change,
pause, resume or cancel a few subscriptions, run the recurring-invoicing job
(so that each invoice is dated on its own period), charge the cards (Odoo's
demo payment provider, ``payment_demo``; a few cards fail for a while, one
never recovers), register the transfers of the customers paying by
themselves (one always pays late) and run the dunning job. The engine reads
the company's today from the clock (``res.company._get_today``), which is
moved with freezegun, as the tests do.

Not part of the addons: the demo database of the tests has the quotations
only.
"""

from collections import defaultdict
from datetime import datetime, time, timedelta

from dateutil.relativedelta import relativedelta
from freezegun import freeze_time

from odoo import SUPERUSER_ID, api

DEMO = "recurring_billing."
# The subscriptions of the demo, in the order of the demo data.
SUBSCRIPTIONS = [f"subscription_{number:02d}" for number in range(1, 37)] + [
    "subscription_api_01",
    "subscription_api_02",
    "subscription_team_01",
]
# Cards that fail: subscription: (n, days): the charge of its n-th invoice
# (from 0) fails, and the card keeps failing for ``days`` days (the customer
# then fixes it, and the dunning's next retry pays), or for ever (None).
CARD_FAILURES = {
    "subscription_08": (3, 5),  # recovered by the third retry, with its email
    "subscription_13": (4, 2),  # recovered by the second, silent retry
    "subscription_16": (2, 10),  # recovered by the fourth retry
    "subscription_29": (4, None),  # never: suspended, formal notice, closed
}
# For an invoice at each step of the dunning today: (first, last): the card of
# a subscription invoiced between ``first`` and ``last`` days ago fails from
# that invoice on, for ever.
CARD_FAILURES_NOW = [(44, 30), (29, 21), (6, 1)]
# Days after its invoice a transfer pays it; a customer who always pays late.
TRANSFER_DAYS = 12
LATE_PAYERS = {"subscription_27": 45}
# (months ago, days ago, subscription, action, product: quantity)
EVENTS = [
    (8, 0, "subscription_28", "cancel", None),
    (6, 10, "subscription_17", "change", {"product_nuage_pro_seat": 30}),
    (5, 0, "subscription_12", "pause", None),
    (4, 12, "subscription_32", "cancel", None),
    (4, 0, "subscription_21", "change", {"product_nuage_pro_seat": 15}),
    (3, 15, "subscription_04", "change", {"product_storage_addon": 2}),
    (3, 5, "subscription_12", "resume", None),
    (3, 0, "subscription_07", "pause", None),
    (2, 20, "subscription_25", "change", {"product_nuage_pro_seat": 12}),
    (2, 0, "subscription_11", "cancel", None),
    (1, 2, "subscription_19", "pause", None),
]
# The API gateway reports usage every week.
USAGE_SUBSCRIPTIONS = ["subscription_api_01", "subscription_api_02"]
USAGE_EVERY_DAYS = 7


class DemoHistory:
    def __init__(self, env):
        # The subscriptions' ids, looked up once: each day browses them
        # together, so that a day reads them in one query, not one each.
        self.subscription_ids = [env.ref(DEMO + xmlid).id for xmlid in SUBSCRIPTIONS]
        self._bind(env)
        self.today = self.company._get_today()
        self.card = {
            xmlid
            for xmlid, order in self.subscriptions.items()
            if order.recurring_payment_mode == "auto"
        }
        self.failures = {}  # order id: (from date, days or None)
        self.fixes = defaultdict(list)  # day: ids of the tokens to fix
        self.transfers = defaultdict(list)  # day: ids of the invoices to pay
        self.events = defaultdict(list)
        self.invoice_count = 0
        self.last_move_id = 0
        self.stats = defaultdict(int)

    def _bind(self, env):
        """Work in ``env``: each day is a transaction of its own, as each run
        of the jobs is (one long transaction would keep every environment
        it ever made, which Odoo looks through at each ``with_context``)."""
        company = env.ref(DEMO + "res_company_nuage")
        # Emails are queued, as the jobs queue them; the salesperson is not
        # told by email of each invoice assigned to them. The company's staff
        # act in admin's language: the chatter and its tracked values in it.
        self.env = env(
            context=dict(
                env.context,
                lang=env.ref("base.user_admin").lang,
                allowed_company_ids=company.ids,
                mail_auto_subscribe_no_notify=True,
                mail_notify_force_send=False,
            )
        )
        self.company = company.with_env(self.env)
        orders = self.env["sale.order"].browse(self.subscription_ids)
        self.subscriptions = dict(
            zip(SUBSCRIPTIONS, orders.with_company(self.company), strict=True)
        )

    # ------------------------------------------------------------
    # SET-UP
    # ------------------------------------------------------------

    def _prepare_provider(self):
        """Odoo's demo payment provider in the demo company, in test mode,
        whose charges the company allows."""
        demo = self.env.ref("payment.payment_provider_demo").sudo()
        provider = demo.search(
            [("code", "=", "demo"), ("company_id", "=", self.company.id)], limit=1
        ) or demo.copy({"company_id": self.company.id})
        provider.write(
            {"state": "test", "is_published": True, "allow_tokenization": True}
        )
        self.company.recurring_test_charges = True
        return provider

    def _create_token(self, provider, order, number):
        return self.env["payment.token"].create(
            {
                "provider_id": provider.id,
                "payment_method_id": provider.payment_method_ids.filtered(
                    lambda method: method.code == "card"
                )[:1].id
                or provider.payment_method_ids[:1].id,
                "payment_details": f"{4242 + number * 7 % 1000:04d}",
                "partner_id": order.partner_id.id,
                "provider_ref": f"demo-card-{order.partner_id.id}",
                "demo_simulated_state": "done",
            }
        )

    def _invoice_dates(self, order):
        """The days a monthly subscription is invoiced until today."""
        start = order.subscription_start_date + timedelta(
            days=order.sale_order_template_id.trial_days
        )
        months = order.recurring_plan_id._get_months_per_period()
        dates, k = [], 0
        while (day := start + relativedelta(months=k * months)) <= self.today:
            dates.append(day)
            k += 1
        return dates

    def _plan(self):
        """Turn the scenario into dates: lifecycle events, and the cards that
        fail."""
        today = self.today
        for months, days, xmlid, action, quantities in EVENTS:
            day = today - relativedelta(months=months, days=days)
            self.events[day].append((xmlid, action, quantities))
        scripted = set(CARD_FAILURES) | {event[2] for event in EVENTS}
        for xmlid, (index, days) in CARD_FAILURES.items():
            order = self.subscriptions[xmlid]
            dates = self._invoice_dates(order)
            if index < len(dates):
                self.failures[order.id] = (dates[index], days)
        for first, last in CARD_FAILURES_NOW:
            for xmlid in sorted(self.card - scripted):
                order = self.subscriptions[xmlid]
                if order.recurring_plan_id._get_months_per_period() != 1:
                    continue
                found = [
                    day
                    for day in self._invoice_dates(order)
                    if today - timedelta(days=first)
                    <= day
                    <= today - timedelta(days=last)
                ]
                if found:
                    self.failures[order.id] = (found[0], None)
                    scripted.add(xmlid)
                    break

    # ------------------------------------------------------------
    # ONE DAY
    # ------------------------------------------------------------

    def _start_subscriptions(self, day, provider):
        for number, (xmlid, order) in enumerate(self.subscriptions.items()):
            if order.state != "draft" or order.subscription_start_date != day:
                continue
            if xmlid in self.card:
                order.payment_token_id = self._create_token(provider, order, number)
            order.action_confirm()
            self.stats["started"] += 1

    def _report_usage(self, day):
        for number, xmlid in enumerate(USAGE_SUBSCRIPTIONS):
            order = self.subscriptions[xmlid]
            if order.subscription_state not in order._get_running_states():
                continue
            if (day - order.subscription_start_date).days % USAGE_EVERY_DAYS:
                continue
            self.env["recurring.usage"].create(
                {
                    "subscription_id": order.id,
                    "product_id": self.env.ref(DEMO + "product_api_calls").id,
                    "date": day,
                    "quantity": 40 + (day.toordinal() * (number + 3)) % 260,
                    "reference": f"gw-{order.id}-{day:%Y%m%d}",
                }
            )
            self.stats["usage"] += 1

    def _run_events(self, day):
        for xmlid, action, quantities in self.events.get(day, ()):
            order = self.subscriptions[xmlid]
            if action == "change":
                order._subscription_change(
                    {
                        self.env.ref(DEMO + product): quantity
                        for product, quantity in quantities.items()
                    }
                )
            elif action == "pause":
                order.action_subscription_pause()
            elif action == "resume":
                order.action_subscription_resume()
            elif action == "cancel":
                order.action_subscription_cancel_at_period_end()
            self.stats[action] += 1

    def _get_due_work(self, day):
        """Whether the invoicing, charge and dunning jobs have anything to do
        on ``day``: most days of a small company, none has, and asking the
        database once is cheaper than running them."""
        billable = tuple(self.env["sale.order"]._get_billable_states())
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT EXISTS(
                       SELECT 1 FROM sale_order
                        WHERE company_id = %(company)s AND is_subscription
                          AND state = 'sale' AND recurring_billing_error IS NULL
                          AND subscription_state IN %(billable)s
                          AND (next_invoice_date <= %(day)s
                               OR subscription_end_date < %(day)s)),
                   EXISTS(
                       SELECT 1 FROM account_move
                        WHERE company_id = %(company)s AND state = 'posted'
                          AND recurring_charge_state = 'to_charge'
                          AND recurring_charge_date <= %(day)s),
                   EXISTS(
                       SELECT 1 FROM account_move
                        WHERE company_id = %(company)s AND dunning_error IS NULL
                          AND ((dunning_state = 'running'
                                AND dunning_next_date <= %(day)s)
                               OR (dunning_state IS NULL AND state = 'posted'
                                   AND move_type = 'out_invoice'
                                   AND subscription_id IS NOT NULL
                                   AND payment_state IN ('not_paid', 'partial')
                                   AND invoice_date_due < %(day)s)))
            """,
            {"company": self.company.id, "billable": billable, "day": day},
        )
        return self.env.cr.fetchone()

    def _run_jobs(self, day, cron_calls, events=False):
        invoicing, charging, dunning = self._get_due_work(day)
        if invoicing:
            Invoicing = self.env["recurring.invoicing"]
            SaleOrder = self.env["sale.order"]
            for _call in range(cron_calls):
                Invoicing._cron_recurring_invoice()
                if not SaleOrder.search_count(
                    SaleOrder._get_subscriptions_to_invoice_domain()
                ):
                    break
        if invoicing or charging or events:
            self._settle_new_invoices(day)
            self._charge(cron_calls)
        if dunning:
            Dunning = self.env["recurring.dunning.run"]
            for _call in range(cron_calls):
                if not Dunning._cron_dunning():
                    break
            # The retries the dunning job handed over.
            self._charge(cron_calls)

    def _charge(self, cron_calls):
        Charge = self.env["recurring.payment.charge"]
        Move = self.env["account.move"]
        for _call in range(cron_calls):
            if not Move.search_count(Charge._get_invoices_to_charge_domain()):
                break
            Charge._cron_charge_invoices()

    def _settle_new_invoices(self, day):
        """The cards of this day's invoices that fail, and when the transfers
        of the customers paying by themselves pay them."""
        moves = self.env["account.move"].search(
            [
                ("id", ">", self.last_move_id),
                ("company_id", "=", self.company.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
            ],
            order="id",
        )
        self.last_move_id = max(moves.ids, default=self.last_move_id)
        self.invoice_count += len(moves)
        late = {self.subscriptions[x].id: days for x, days in LATE_PAYERS.items()}
        for move in moves.filtered("subscription_id"):
            order = move.subscription_id
            failure = self.failures.get(order.id)
            if order.recurring_payment_mode == "auto":
                if failure and move.invoice_date >= failure[0]:
                    del self.failures[order.id]
                    order.payment_token_id.demo_simulated_state = "error"
                    if failure[1] is not None:
                        fix_day = day + timedelta(days=failure[1])
                        self.fixes[fix_day].append(order.payment_token_id.id)
                    self.stats["card failures"] += 1
                continue
            pay_day = max(
                day,
                move.invoice_date + timedelta(days=late.get(order.id, TRANSFER_DAYS)),
            )
            self.transfers[pay_day].append(move.id)

    def _fix_cards(self, day):
        tokens = self.env["payment.token"].browse(self.fixes.pop(day, ()))
        tokens.write({"demo_simulated_state": "done"})

    def _pay_transfers(self, day):
        moves = self.env["account.move"].browse(self.transfers.pop(day, ()))
        moves = moves.filtered(
            lambda move: move.state == "posted"
            and move.payment_state in ("not_paid", "partial")
        )
        if not moves:
            return
        journal = self.env["account.journal"].search(
            [("company_id", "=", self.company.id), ("type", "=", "bank")], limit=1
        )
        for move in moves:
            self.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=move.ids
            ).create({"payment_date": day, "journal_id": journal.id})._create_payments()
            self.stats["transfers"] += 1

    def _mark_past_invoices_sent(self):
        """The invoices of the past were sent in their day: Odoo's sending
        job (PDF and email) is left today's only."""
        moves = self.env["account.move"].search(
            [
                ("company_id", "=", self.company.id),
                ("sending_data", "!=", False),
                ("invoice_date", "<", self.today),
            ]
        )
        moves.with_context(
            skip_invoice_sync=True,
            check_move_validity=False,
            skip_is_manually_modified=True,
            skip_account_move_synchronization=True,
        ).write({"sending_data": False, "is_move_sent": True})

    def _mark_past_emails_sent(self):
        """The emails of the past went out in their day: Odoo's mail queue
        is left today's only. A demo has no mail server: each email the
        queue tries fails, and admin would be told of each failure."""
        mails = (
            self.env["mail.mail"]
            .sudo()
            .search(
                [
                    ("state", "=", "outgoing"),
                    # The messages are dated by the moved clock; the emails
                    # by the database's.
                    (
                        "mail_message_id.date",
                        "<",
                        datetime.combine(self.today, time.min),
                    ),
                ]
            )
        )
        mails.write({"state": "sent"})
        # What Odoo does once an email is sent: its notifications sent, the
        # email deleted if it says so.
        mails._postprocess_sent_message(success_pids=[])

    # ------------------------------------------------------------
    # THE WHOLE HISTORY
    # ------------------------------------------------------------

    def build(self, cron_calls=20):
        drafts = [o for o in self.subscriptions.values() if o.state == "draft"]
        if not drafts:
            return self.stats
        first_day = min(order.subscription_start_date for order in drafts)
        self._plan()
        env, registry = self.env, self.env.registry
        day = first_day
        # 10:00 UTC: ``day`` in the company's time zone (Europe/Paris) too.
        with freeze_time(datetime.combine(day, time(10, 0))) as clock:
            provider_id = self._prepare_provider().id
            env.cr.commit()
            while day <= self.today:
                with registry.cursor() as cr:
                    # The clock moves once the connection is borrowed: Odoo's
                    # pool closes the connections idle for minutes, as one
                    # left yesterday would seem.
                    clock.move_to(datetime.combine(day, time(10, 0)))
                    # The jobs commit each charge: a demo need not wait for
                    # the disk.
                    cr.execute("SET synchronous_commit TO off")
                    self._bind(api.Environment(cr, SUPERUSER_ID, {}))
                    provider = self.env["payment.provider"].browse(provider_id)
                    self._start_subscriptions(day, provider)
                    self._fix_cards(day)
                    self._report_usage(day)
                    self._run_events(day)
                    self._run_jobs(day, cron_calls, events=day in self.events)
                    self._pay_transfers(day)
                day += timedelta(days=1)
        env.invalidate_all()
        self._bind(env)
        self._mark_past_invoices_sent()
        self._mark_past_emails_sent()
        self.env.flush_all()
        self.stats["days"] = (self.today - first_day).days + 1
        self.stats["invoices"] = self.invoice_count
        return self.stats


def build_history(env):
    """Live the demo company's history up to today; see the module's
    docstring.

    :return: counts of what was done (days, starts, invoices...)
    """
    return DemoHistory(env).build()
