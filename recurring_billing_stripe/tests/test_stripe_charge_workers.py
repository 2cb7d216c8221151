# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Automatic charges through Stripe by separate Odoo workers, each on its own
database connection and committing for real, as cron workers, a user's
request and Stripe's webhook do: the webhook arriving while the charge's
answer is lost, a worker killed between sending and recording, two workers
and a *Charge Now* at once. Stripe is the stateful fake of ``fake_stripe``."""

import threading
from contextlib import ExitStack

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.payment_stripe.controllers.main import StripeController
from odoo.addons.recurring_billing.tests.common_workers import SeparateWorkersCase

from . import stripe_bodies as bodies
from .common import WEBHOOK_SECRET
from .fake_stripe import FakeStripe

TODAY = "2026-03-02"
LATER = "2026-03-02 12:00:00"
MUTED = (
    "odoo.addons.recurring_billing.models.recurring_invoice_payment",
    "odoo.addons.payment_stripe.models.payment_transaction",
    "odoo.addons.payment.models.payment_transaction",
    "odoo.addons.recurring_billing_stripe.models.recurring_stripe_event",
)
PAID = ("paid", "in_payment")


class WorkerKilled(BaseException):
    """The worker's process dies (SIGKILL): nothing after it runs, its open
    transaction is rolled back by PostgreSQL."""


@tagged("post_install", "-at_install")
class TestStripeChargeWorkers(SeparateWorkersCase):
    COUNT = 4

    def setUp(self):
        super().setUp()
        self.stripe_ids = {}
        self._create_committed_subscriptions(
            "Stripe workers",
            self.COUNT,
            TODAY,
            TODAY,
            auto_post=True,
            partner_email="compta@stripe-workers.example",
        )
        with self._worker() as env:
            self._set_up_stripe(env)
        self._restrict_job_to_test_subscriptions()
        # The workers below own their transactions: each charge is committed
        # on its own, as in production (tests otherwise run in savepoints).
        Charge = self.registry["recurring.payment.charge"]
        self.patch(
            Charge,
            "_can_commit",
            lambda model: bool(model.env.context.get("recurring_charge_commit")),
        )
        with self._worker() as env, freeze_time(TODAY):
            env["recurring.invoicing"]._cron_recurring_invoice(batch_size=100)
        self.invoice_ids = self._read(
            lambda env: env["account.move"]
            .search([("subscription_id", "in", self.sub_ids)], order="id")
            .ids
        )
        self.assertEqual(len(self.invoice_ids), self.COUNT)

    def _set_up_stripe(self, env):
        company = env["res.company"].browse(self.company_id)
        journal = env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", company.id)], limit=1
        )
        base = env["payment.provider"].search([("code", "=", "stripe")], limit=1)
        provider = base.copy(
            {
                "name": "Stripe (workers test)",
                "company_id": company.id,
                "journal_id": journal.id,
                "state": "test",
                "stripe_secret_key": "sk_test_KJtHgNwt2KS3xM7QJPr4O5E8",
                "stripe_publishable_key": "pk_test_QSPnimmb4ZhtkEy3Uhdm4S6J",
                "stripe_webhook_secret": WEBHOOK_SECRET,
                "allow_tokenization": True,
            }
        )
        card = env.ref("payment.payment_method_card")
        self.stripe_ids["card_active"] = card.active
        card.write({"provider_ids": [Command.link(provider.id)], "active": True})
        self.stripe_ids["test_charges"] = company.recurring_test_charges
        company.recurring_test_charges = True
        template = env["sale.order.template"].browse(self.records["template"])
        template.write({"auto_charge": True, "charge_delay_days": 0})
        token = env["payment.token"].create(
            {
                "provider_id": provider.id,
                "payment_method_id": card.id,
                "payment_details": "4242",
                "partner_id": self.records["partner"],
                "provider_ref": bodies.CUSTOMER,
                "stripe_payment_method": bodies.CARD_PM,
            }
        )
        env["sale.order"].browse(self.sub_ids).write(
            {"recurring_payment_mode": "auto", "payment_token_id": token.id}
        )
        self.stripe_ids.update(provider=provider.id, token=token.id)

    def _remove_committed_records(self, env):
        txs = env["payment.transaction"].search(
            [("recurring_invoice_id.subscription_id", "in", self.sub_ids)]
        )
        payments = txs.payment_id
        payments.move_id.line_ids.remove_move_reconcile()
        payments.action_draft()
        payments.move_id.with_context(force_delete=True).unlink()
        payments.unlink()
        txs.unlink()
        env["recurring.stripe.event"].search(
            [("provider_id", "=", self.stripe_ids.get("provider"))]
        ).unlink()
        env["sale.order"].browse(self.sub_ids).write({"payment_token_id": False})
        env["payment.token"].browse(self.stripe_ids.get("token")).exists().unlink()
        for xmlid in (
            "recurring_billing.ir_cron_recurring_payment_charge",
            "recurring_billing.ir_cron_recurring_invoice",
            "payment.cron_post_process_payment_tx",
        ):
            env["ir.cron.trigger"].search(
                [("cron_id", "=", env.ref(xmlid).id), ("call_at", ">=", "2025-01-01")]
            ).unlink()
        super()._remove_committed_records(env)
        provider = env["payment.provider"].browse(self.stripe_ids.get("provider"))
        provider.exists().state = "disabled"
        env["account.payment.method.line"].search(
            [("payment_provider_id", "=", provider.id)]
        ).unlink()
        provider.exists().unlink()
        if "card_active" in self.stripe_ids:
            env.ref("payment.payment_method_card").active = self.stripe_ids[
                "card_active"
            ]
            env["res.company"].browse(
                self.company_id
            ).recurring_test_charges = self.stripe_ids["test_charges"]

    # ------------------------------------------------------------
    # HELPERS
    # ------------------------------------------------------------

    def _read(self, function):
        with self._worker(commit=False) as env:
            return function(env)

    def _charge_job(self, env, batch_size=100):
        with freeze_time(TODAY), mute_logger(*MUTED):
            return env["recurring.payment.charge"]._cron_charge_invoices(
                batch_size=batch_size
            )

    def _check_job(self, env):
        with freeze_time(LATER), mute_logger(*MUTED):
            return env["recurring.payment.charge"]._cron_check_charges()

    def _webhook(self, intent):
        """Stripe's webhook, on its own connection, as the webhook controller
        handles it: the event is recorded; unmatched when its transaction is
        not found, else processed as payment_stripe does; then Odoo's
        post-processing job.

        :return: the event's state
        """
        with self._worker() as env, mute_logger(*MUTED):
            provider = env["payment.provider"].browse(self.stripe_ids["provider"])
            intent = dict(intent, payment_method=intent["payment_method"]["id"])
            event = bodies.event(
                f"evt_3Workers{intent['id'][-8:]}", "payment_intent.succeeded", intent
            )
            event_record = env["recurring.stripe.event"]._record_event(provider, event)
            data = {
                "reference": intent["description"],
                "event_type": event["type"],
                "object_id": intent["id"],
            }
            try:
                tx = env["payment.transaction"]._get_tx_from_notification_data(
                    "stripe", data
                )
            except ValidationError:
                event_record.state = "unmatched"
                return "unmatched"
            StripeController._include_payment_intent_in_notification_data(intent, data)
            tx._handle_notification_data("stripe", data)
            event_record.state = "processed"
        with self._worker() as env, mute_logger(*MUTED):
            # Odoo's post-processing job, which commits each transaction.
            env["payment.transaction"]._cron_post_process()
        return "processed"

    def _assert_each_paid_once(self, fake):
        def state(env):
            result = {}
            for move in env["account.move"].browse(self.invoice_ids):
                txs = env["payment.transaction"].search(
                    [("recurring_invoice_id", "=", move.id)]
                )
                result[move.name] = {
                    "payment_state": move.payment_state,
                    "charge_state": move.recurring_charge_state,
                    "residual": move.amount_residual,
                    "txs": [(tx.state, tx.recurring_outcome_unknown) for tx in txs],
                    "post_processed": txs.mapped("is_post_processed"),
                    "payments": len(txs.payment_id),
                    "amount": move.amount_total,
                    "refused_mails": len(
                        move.message_ids.filtered(
                            lambda m: "payment method was refused" in (m.subject or "")
                        )
                    ),
                }
            return result

        committed = self._read(state)
        self.assertEqual(len(committed), self.COUNT)
        for name, values in committed.items():
            self.assertEqual(
                len(fake.charges(name)), 1, f"{name}: one charge at Stripe"
            )
            self.assertEqual(
                fake.charges(name)[0]["amount"], round(values["amount"] * 100)
            )
            self.assertIn(values["payment_state"], PAID, (name, values))
            self.assertEqual(values["residual"], 0.0, name)
            self.assertEqual(values["charge_state"], "done", name)
            self.assertEqual(values["txs"], [("done", False)], name)
            self.assertEqual(values["post_processed"], [True], name)
            self.assertEqual(values["payments"], 1, name)
            self.assertEqual(values["refused_mails"], 0, name)

    # ------------------------------------------------------------
    # TESTS
    # ------------------------------------------------------------

    def test_webhook_arrives_while_the_answer_is_lost(self):
        states = []
        fake = FakeStripe(
            lose=["connection", "server_error", "timeout", "timeout"],
            during=lambda intent: states.append(self._webhook(intent)),
        )
        with fake.edge():
            with self._worker() as env:
                charged = self._charge_job(env)
                self.assertEqual(len(charged), self.COUNT)
            # Nothing left to ask: the webhooks settled every charge.
            with self._worker() as env:
                self.assertFalse(self._check_job(env))
        self.assertEqual(states, ["processed"] * self.COUNT)
        self.assertEqual(len(fake.posts()), self.COUNT)
        self._assert_each_paid_once(fake)

    def test_webhook_of_an_uncommitted_charge_is_matched_later(self):
        """A charge made inside a caller's transaction (savepoints, no commit
        of its own): its webhook finds no transaction, is kept unmatched, and
        is matched by the next check once the caller committed."""
        states = []
        fake = FakeStripe(
            lose="timeout", during=lambda intent: states.append(self._webhook(intent))
        )
        with fake.edge():
            with self._worker() as env, freeze_time(TODAY), mute_logger(*MUTED):
                env["account.move"].browse(self.invoice_ids[0])._recurring_charge()
            self.assertEqual(states, ["unmatched"])
            unmatched = self._read(
                lambda env: env["recurring.stripe.event"]
                .search([("state", "=", "unmatched")])
                .mapped("object_id")
            )
            self.assertEqual(unmatched, [fake.charges()[0]["id"]])
            with self._worker() as env:
                self._check_job(env)
            self.assertEqual(
                self._read(
                    lambda env: env["recurring.stripe.event"]
                    .search([("object_id", "=", fake.charges()[0]["id"])])
                    .state
                ),
                "processed",
            )
            # The others are charged by the job as usual.
            with self._worker() as env:
                self._charge_job(env)
        self.assertEqual(len(fake.posts()), self.COUNT)
        self._assert_each_paid_once(fake)

    def test_worker_killed_between_send_and_commit(self):
        fake = FakeStripe()
        killed = []

        def kill(intent):
            if not killed:
                killed.append(intent["description"])
                raise WorkerKilled()

        fake.during = kill
        with fake.edge():
            with self.assertRaises(WorkerKilled), self._worker() as env:
                self._charge_job(env)
            # What the killed worker committed before sending: the charge,
            # marked as sent with its outcome unknown.
            unknown = self._read(
                lambda env: [
                    (tx.reference, tx.state, tx.recurring_outcome_unknown)
                    for tx in env["payment.transaction"].search(
                        [("recurring_invoice_id", "in", self.invoice_ids)]
                    )
                ]
            )
            self.assertEqual(unknown, [(killed[0], "draft", True)])
            # The next runs charge the others, not the unknown one.
            with self._worker() as env:
                self._charge_job(env)
            self.assertEqual(len(fake.charges(killed[0])), 1)
            self.assertEqual(len(fake.posts()), self.COUNT)
            with self._worker() as env:
                self._check_job(env)
        self._assert_each_paid_once(fake)

    def test_two_workers_and_charge_now_at_once(self):
        fake = FakeStripe()
        barrier = threading.Barrier(3, timeout=60)
        errors = []

        def slow(intent):
            # Stripe takes its time: the three overlap.
            threading.Event().wait(0.2)

        fake.during = slow

        def run(action, env):
            try:
                barrier.wait()
                action(env)
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)

        def charge_job(env):
            env["recurring.payment.charge"]._cron_charge_invoices(batch_size=100)

        def charge_now(env):
            env["account.move"].browse(self.invoice_ids).action_recurring_charge_now()

        # The workers' environments are made here: Odoo's test runner holds
        # the registry lock that a new environment takes in another thread.
        # Time is frozen once for the three threads (freezegun is not
        # thread-safe).
        with (
            ExitStack() as workers,
            fake.edge(),
            freeze_time(TODAY),
            mute_logger(*MUTED),
        ):
            threads = [
                threading.Thread(
                    target=run, args=(action, workers.enter_context(self._worker()))
                )
                for action in (charge_job, charge_job, charge_now)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(120)
            self.assertFalse([thread for thread in threads if thread.is_alive()])
        self.assertFalse(errors)
        with fake.edge():
            with self._worker() as env:
                self._charge_job(env)
                self._check_job(env)
        self.assertEqual(len(fake.posts()), self.COUNT)
        self._assert_each_paid_once(fake)
