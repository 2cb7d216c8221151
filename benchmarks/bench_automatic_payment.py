#!/usr/bin/env python3
# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Benchmark: automatic payment of N posted subscription invoices, beside
Odoo's own offline payment of N invoices without our addons.

    python3 benchmarks/bench_automatic_payment.py --template DB --db NEW_DB
        [--odoo-template ODOO_DB] [--n 1000] [--batch-size 100] [--keep]

--template is a database where recurring_billing_stripe is installed; it is
copied to --db (dropped at the end unless --keep). In the copy, not timed: a
Stripe provider in test mode, N customers each with a saved card, N
subscriptions of a template charged automatically, and N posted invoices of
79.20 (one per subscription).

Timed: `recurring.payment.charge._cron_charge_invoices(batch_size)` called
until nothing is left to charge, with a commit after each call (as the cron
framework does). Each charge is committed on its own (lock the invoice,
create its transaction, commit; send; record the outcome, commit) and goes
the whole offline path of Odoo's payment stack: `payment.transaction`
(operation offline, token, invoice), reference, payment_stripe's
PaymentIntent payload and idempotency key, the answer's processing, then
Odoo's post-processing (account.payment posted and reconciled, invoice paid,
"payment received" email queued). Only Stripe's network edge
(`_stripe_make_request`) is replaced, by a PaymentIntent `succeeded` shaped
as Stripe's API reference shows it, answered at once.

--odoo-template is a database with the same Odoo modules and none of ours
(sale_management, account_payment, payment_stripe, l10n_fr_account,
account_edi_ubl_cii): in a copy of it, N customers with a saved card and N
posted invoices of 79.20, then, timed, what Odoo does for an offline payment
by token (`account.payment`'s way): for each invoice, one
`payment.transaction` (offline, token, invoice), `_send_payment_request()`,
`_post_process()` and a commit, in batches of --batch-size.

Printed for each: charges per second, SQL queries per charge (the queries of
the cursor during the timed section divided by N), each batch's time and the
last batch's over the first; then our time over Odoo's. Checked: N
transactions done, N invoices paid, one transaction per invoice.
"""

import argparse
import collections
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from unittest.mock import patch

ROOT = Path(__file__).resolve().parent.parent
ODOO_ADDONS = None
OUR_ADDONS = tuple(
    f"{ROOT / name}/"
    for name in (
        "recurring_billing",
        "recurring_billing_stripe",
        "recurring_billing_dunning",
    )
)
# Frames that only pass a call on (context managers, decorators).
PASSING_FILES = ("contextlib.py", "decorator.py", "<decorator-gen")
SQL_STATEMENT = re.compile(
    r"^\s*(INSERT INTO|UPDATE|DELETE FROM|SELECT|WITH|SAVEPOINT|RELEASE SAVEPOINT|"
    r"ROLLBACK TO SAVEPOINT)\s+\"?(\w*)",
    re.IGNORECASE,
)
SQL_FROM = re.compile(r"\bFROM\s+\"?(\w+)", re.IGNORECASE)
# Odoo's per-transaction work, as the charge calls it: these methods of Odoo's
# addons, and what they call (our overrides inside them count as ours).
ODOO_PAYMENT_METHODS = {
    "_compute_reference",
    "_send_payment_request",
    "_stripe_create_intent",
    "_handle_notification_data",
    "_process_notification_data",
    "_post_process",
    "_create_payment",
    "_set_done",
    "_set_pending",
    "_set_error",
}


class SqlOrigins:
    """Count the cursor's queries by origin: the innermost frame of our
    addons on the stack, and what it called (an ORM method: a query of ours;
    a method of an Odoo addon: Odoo's work, called by us)."""

    def __init__(self):
        self.counts = collections.Counter()

    @staticmethod
    def _where(frame):
        path = frame.f_code.co_filename
        if "/odoo/addons/" in path:
            addon = path.split("/odoo/addons/")[1].split("/")[0]
            return "odoo", f"{addon}.{frame.f_code.co_name}"
        if "/odoo/" in path:
            return "orm", frame.f_code.co_name
        return "other", frame.f_code.co_name

    def record(self, query):
        frame = sys._getframe(2)
        callee = None
        ours = None
        while frame:
            path = frame.f_code.co_filename
            if path.startswith(OUR_ADDONS):
                ours = frame
                break
            if not path.endswith(PASSING_FILES) and not path.startswith("<"):
                callee = frame
            frame = frame.f_back
        # Is our frame itself called by Odoo's payment work (an override of
        # ours that Odoo's post-processing calls)?
        inside_odoo = False
        while frame:
            path = frame.f_code.co_filename
            if "/odoo/addons/" in path and frame.f_code.co_name in (
                ODOO_PAYMENT_METHODS
            ):
                inside_odoo = True
                break
            frame = frame.f_back
        kind, called = self._where(callee) if callee else ("orm", "-")
        our_name = ours.f_code.co_name if ours else ""
        if kind == "odoo" and (
            callee.f_code.co_name in ODOO_PAYMENT_METHODS
            or (inside_odoo and callee.f_code.co_name == our_name)
        ):
            who = "Odoo"
        elif inside_odoo:
            who = "ours, in Odoo's work"
        else:
            who = "ours, charge job"
        ours = f"{Path(ours.f_code.co_filename).stem}.{our_name}" if ours else "(none)"
        sql = query if isinstance(query, str) else str(getattr(query, "code", query))
        match = SQL_STATEMENT.match(sql)
        if not match:
            target = "?"
        elif match.group(1).upper() in ("SELECT", "WITH"):
            table = SQL_FROM.search(sql)
            target = f"SELECT {table.group(1) if table else ''}"
        elif "SAVEPOINT" in match.group(1).upper():
            target = match.group(1).upper()
        else:
            target = f"{match.group(1).upper()} {match.group(2)}"
        self.counts[(who, ours, called, target)] += 1

    def report(self, n, top=200):
        total = sum(self.counts.values())
        by_who = collections.Counter()
        for (who, *_rest), count in self.counts.items():
            by_who[who] += count
        print(f"SQL queries per charge, Odoo's payment work or ours ({total / n:.1f}):")
        for who, count in by_who.most_common():
            print(f"  {who:20} {count / n:7.2f}")
        print(f"  {'who':20} {'per charge':>10}  our frame -> called -> statement")
        for (who, ours, called, target), count in self.counts.most_common(top):
            print(f"  {who:20} {count / n:10.2f}  {ours} -> {called} -> {target}")


def run_odoo(args):
    import odoo
    from odoo.tools import config

    addons = [str(ROOT), str(Path(odoo.__file__).parent / "addons")]
    config.parse_config(
        [
            f"--database={args.db}",
            f"--db_host={os.environ.get('PGHOST', '127.0.0.1')}",
            f"--db_port={os.environ.get('PGPORT', '5432')}",
            f"--db_user={os.environ.get('PGUSER', 'root')}",
            f"--addons-path={','.join(addons)}",
            "--log-level=warn",
        ]
    )
    return odoo


def setup_cards(env, n):
    """The company's Stripe provider in test mode, and N customers each with
    a saved card (not timed).

    :return: (customers, their tokens)
    """
    from odoo import Command

    company = env.company
    journal = env["account.journal"].search(
        [("type", "=", "bank"), ("company_id", "=", company.id)], limit=1
    )
    card = env.ref("payment.payment_method_card")
    stripe = env["payment.provider"].search(
        [("code", "=", "stripe"), ("company_id", "=", company.id)], limit=1
    )
    stripe.write(
        {
            "state": "test",
            "stripe_secret_key": "sk_test_bench",
            "stripe_publishable_key": "pk_test_bench",
            "stripe_webhook_secret": "whsec_bench",
            "journal_id": journal.id,
            "allow_tokenization": True,
        }
    )
    card.write({"provider_ids": [Command.link(stripe.id)]})
    card.active = True
    partners = env["res.partner"].create(
        [
            {"name": f"Bench customer {i:05d}", "email": f"c{i}@bench.example"}
            for i in range(n)
        ]
    )
    tokens = env["payment.token"].create(
        [
            {
                "provider_id": stripe.id,
                "payment_method_id": card.id,
                "payment_details": "4242",
                "partner_id": partner.id,
                "provider_ref": f"cus_bench{partner.id}",
                "stripe_payment_method": f"pm_bench{partner.id}",
            }
            for partner in partners
        ]
    )
    return partners, tokens


def setup(env, n):
    """Customers, cards, subscriptions and posted invoices (not timed)."""
    from odoo import Command

    company = env.company
    company.recurring_test_charges = True
    eur = env.ref("base.EUR")
    if company.currency_id != eur:
        eur.active = True
    partners, tokens = setup_cards(env, n)
    plan = env["recurring.plan"].create(
        {
            "name": "Bench monthly",
            "billing_period_value": 1,
            "billing_period_unit": "month",
        }
    )
    product = env["product.product"].create(
        {
            "name": "Bench hosting",
            "type": "service",
            "list_price": 66.0,
            "taxes_id": [Command.clear()],
        }
    )
    template = env["sale.order.template"].create(
        {"name": "Bench charged", "plan_id": plan.id, "auto_charge": True}
    )
    orders = env["sale.order"].create(
        [
            {
                "partner_id": partner.id,
                "sale_order_template_id": template.id,
                "payment_token_id": token.id,
                "order_line": [Command.create({"product_id": product.id})],
            }
            for partner, token in zip(partners, tokens, strict=True)
        ]
    )
    today = company._get_today()
    invoices = env["account.move"].create(
        [
            {
                "move_type": "out_invoice",
                "partner_id": order.partner_id.id,
                "subscription_id": order.id,
                "subscription_period_start": today,
                "invoice_date": today,
                "currency_id": company.currency_id.id,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": product.id,
                            "quantity": 1,
                            "price_unit": 79.20,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
            for order in orders
        ]
    )
    invoices.action_post()
    assert set(invoices.mapped("recurring_charge_state")) == {"to_charge"}, set(
        invoices.mapped("recurring_charge_state")
    )
    return invoices


def setup_odoo(env, n):
    """Customers, cards and posted invoices, without our addons (not timed)."""
    from odoo import Command

    company = env.company
    partners, tokens = setup_cards(env, n)
    product = env["product.product"].create(
        {
            "name": "Bench hosting",
            "type": "service",
            "list_price": 66.0,
            "taxes_id": [Command.clear()],
        }
    )
    invoices = env["account.move"].create(
        [
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "currency_id": company.currency_id.id,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": product.id,
                            "quantity": 1,
                            "price_unit": 79.20,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
            for partner in partners
        ]
    )
    invoices.action_post()
    return invoices, dict(zip(partners.ids, tokens, strict=True))


def charge_like_odoo(env, invoices, tokens):
    """What Odoo does for an offline payment by token of ``invoices``
    (``account.payment._create_payment_transaction`` then the payment
    request and the post-processing), one transaction at a time, each
    committed as Odoo's ``_cron_post_process`` does."""
    from odoo import Command

    Transaction = env["payment.transaction"]
    for invoice in invoices:
        token = tokens[invoice.partner_id.id]
        invoice_command = [Command.set(invoice.ids)]
        tx = Transaction.create(
            {
                "provider_id": token.provider_id.id,
                "payment_method_id": token.payment_method_id.id,
                "reference": Transaction._compute_reference(
                    token.provider_id.code, invoice_ids=invoice_command
                ),
                "amount": invoice.amount_residual,
                "currency_id": invoice.currency_id.id,
                "partner_id": invoice.partner_id.id,
                "token_id": token.id,
                "operation": "offline",
                "invoice_ids": invoice_command,
            }
        )
        tx._send_payment_request()
        tx._post_process()
        env.cr.commit()  # pylint: disable=invalid-commit


def fake_stripe(provider, endpoint, payload=None, method="POST", **kwargs):
    """Stripe's answer to a confirmed off-session PaymentIntent: succeeded."""
    amount = payload["amount"]
    return {
        "id": f"pi_bench_{payload['description']}",
        "object": "payment_intent",
        "amount": amount,
        "amount_received": amount,
        "capture_method": "automatic",
        "charges": {"object": "list", "data": [], "has_more": False},
        "currency": payload["currency"],
        "customer": payload["customer"],
        "description": payload["description"],
        "last_payment_error": None,
        "livemode": False,
        "payment_method": {
            "id": payload["payment_method"],
            "object": "payment_method",
            "type": "card",
            "card": {
                "brand": "visa",
                "exp_month": 8,
                "exp_year": 2030,
                "last4": "4242",
            },
        },
        "status": "succeeded",
    }


def print_batches(times):
    """Each batch's time, and the last one's over the first."""
    print("batch times (s): " + ", ".join(f"{t:.1f}" for t in times))
    full = times[:-1] if len(times) > 1 and times[-1] < times[0] / 2 else times
    if len(full) > 1:
        print(f"last full batch / first: {full[-1] / full[0]:.2f}")


def check_paid(env, invoices, n):
    env.invalidate_all()
    txs = env["payment.transaction"].search([("invoice_ids", "in", invoices.ids)])
    paid = invoices.filtered(lambda m: m.payment_state in ("paid", "in_payment"))
    assert len(txs) == n, len(txs)
    assert set(txs.mapped("state")) == {"done"}, set(txs.mapped("state"))
    assert len(paid) == n, len(paid)


def run_ours(odoo, args, cr, StripeProvider):
    """Our charge job over N subscription invoices.

    :return: (seconds, SQL queries per charge)
    """
    env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
    started = time.perf_counter()
    invoices = setup(env, args.n)
    cr.commit()
    print(f"setup: {args.n} posted invoices in {time.perf_counter() - started:.1f} s")
    Charge = env["recurring.payment.charge"]
    calls = 0
    origins = SqlOrigins() if args.sql_origins else None
    execute = odoo.sql_db.Cursor.execute

    def counted_execute(cursor, query, params=None, log_exceptions=True):
        if origins and cursor is cr:
            origins.record(query)
        return execute(cursor, query, params, log_exceptions)

    times = []
    with (
        patch.object(StripeProvider, "_stripe_make_request", fake_stripe),
        patch.object(odoo.sql_db.Cursor, "execute", counted_execute),
    ):
        queries_before = cr.sql_log_count
        profiler = None
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        started = time.perf_counter()
        while True:
            batch_started = time.perf_counter()
            charged = Charge._cron_charge_invoices(batch_size=args.batch_size)
            cr.commit()
            calls += 1
            if not charged:
                break
            times.append(time.perf_counter() - batch_started)
        elapsed = time.perf_counter() - started
        queries = cr.sql_log_count - queries_before
        if profiler:
            import pstats

            profiler.disable()
            stats = pstats.Stats(profiler)
            if args.profile_file:
                stats.dump_stats(args.profile_file)
            stats.sort_stats("cumulative").print_stats(25)
    check_paid(env, invoices, args.n)
    print(f"ours: charged {args.n} invoices in {elapsed:.1f} s, {calls} cron calls")
    print(f"ours: charges per second: {args.n / elapsed:.2f}")
    print(f"ours: SQL queries per charge: {queries / args.n:.1f}")
    print_batches(times)
    if origins:
        origins.report(args.n)
    return elapsed, queries / args.n


def run_odoo_only(odoo, args, cr, StripeProvider):
    """Odoo's own offline payment by token of N invoices, without our addons.

    :return: (seconds, SQL queries per charge)
    """
    env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
    started = time.perf_counter()
    invoices, tokens = setup_odoo(env, args.n)
    cr.commit()
    print(f"setup: {args.n} posted invoices in {time.perf_counter() - started:.1f} s")
    times = []
    with patch.object(StripeProvider, "_stripe_make_request", fake_stripe):
        queries_before = cr.sql_log_count
        started = time.perf_counter()
        for index in range(0, args.n, args.batch_size):
            batch_started = time.perf_counter()
            charge_like_odoo(env, invoices[index : index + args.batch_size], tokens)
            times.append(time.perf_counter() - batch_started)
        elapsed = time.perf_counter() - started
        queries = cr.sql_log_count - queries_before
    check_paid(env, invoices, args.n)
    print(f"odoo: charged {args.n} invoices in {elapsed:.1f} s")
    print(f"odoo: charges per second: {args.n / elapsed:.2f}")
    print(f"odoo: SQL queries per charge: {queries / args.n:.1f}")
    print_batches(times)
    return elapsed, queries / args.n


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--template", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument(
        "--odoo-template",
        help="a database with the same Odoo modules and none of ours: "
        "Odoo's own offline payments are timed in a copy of it",
    )
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--profile", action="store_true", help="cProfile, top 25")
    parser.add_argument("--profile-file", help="with --profile: dump the stats there")
    parser.add_argument(
        "--sql-origins",
        action="store_true",
        help="count the timed section's queries by origin (ours or Odoo's)",
    )
    args = parser.parse_args()
    pg = [
        "-h",
        os.environ.get("PGHOST", "127.0.0.1"),
        "-U",
        os.environ.get("PGUSER", "root"),
    ]
    odoo_db = f"{args.db}_odoo"
    subprocess.run(["dropdb", *pg, "--if-exists", args.db], check=True)
    subprocess.run(["createdb", *pg, "-T", args.template, args.db], check=True)
    if args.odoo_template:
        subprocess.run(["dropdb", *pg, "--if-exists", odoo_db], check=True)
        subprocess.run(["createdb", *pg, "-T", args.odoo_template, odoo_db], check=True)
    odoo = run_odoo(args)
    from odoo.addons.payment_stripe.models.payment_provider import (
        PaymentProvider as StripeProvider,
    )

    print(f"os.cpu_count() = {os.cpu_count()} (shared machine: figures are noisy)")
    try:
        with odoo.modules.registry.Registry(args.db).cursor() as cr:
            ours = run_ours(odoo, args, cr, StripeProvider)
        if args.odoo_template:
            with odoo.modules.registry.Registry(odoo_db).cursor() as cr:
                plain = run_odoo_only(odoo, args, cr, StripeProvider)
            print(
                f"ours / odoo: time {ours[0] / plain[0]:.2f}, "
                f"SQL per charge {ours[1] / plain[1]:.2f}"
            )
    finally:
        odoo.sql_db.close_all()
        if not args.keep:
            for db in (args.db, odoo_db):
                subprocess.run(["dropdb", *pg, "--if-exists", db], check=False)


if __name__ == "__main__":
    sys.exit(main())
