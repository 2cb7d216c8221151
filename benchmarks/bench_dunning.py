#!/usr/bin/env python3
# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Benchmark: the dunning job over N overdue subscription invoices.

    python3 benchmarks/bench_dunning.py [--n 10000] [--db rbbench_dunning]
        [--batch-size 200] [--per-customer 10] [--keep]

1. (not timed) a database with recurring_billing_dunning installed without
   demo data (Odoo's generic chart on the main company), N/P subscriptions
   of customers paying by themselves (P = --per-customer, 10 by default), P
   posted invoices each of 79.20 (66.00 + 20 % tax), all due 4 days ago:
   each enters dunning from its due date and its first step (the friendly
   reminder at D+3, an email rendered from its template and queued) is due.
2. (timed, in a fresh process) recurring.dunning.run._cron_dunning(batch_size)
   called until it reports nothing done, committing after each call as the
   cron framework does. Printed: invoices per second, the peak resident
   memory of that process (ru_maxrss), and a check: N history lines, N/P
   reminders queued (one letter per customer for its P invoices), no
   invoice in error.

The machine is shared and noisy: the figures vary from run to run; the
script prints os.cpu_count() beside them.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve()
ROOT = HERE.parent.parent


def odoo_args(db):
    import odoo

    addons = ",".join([str(ROOT), str(Path(odoo.__file__).parent / "addons")])
    return [
        f"--database={db}",
        f"--db_host={os.environ.get('PGHOST', '127.0.0.1')}",
        f"--db_port={os.environ.get('PGPORT', '5432')}",
        f"--db_user={os.environ.get('PGUSER', 'root')}",
        f"--addons-path={addons}",
        "--log-level=warn",
    ]


def env_for(db):
    import odoo
    from odoo import SUPERUSER_ID, api

    odoo.tools.config.parse_config(odoo_args(db))
    registry = odoo.modules.registry.Registry(db)
    cr = registry.cursor()
    return api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})


def install(db):
    subprocess.run(["dropdb", "--if-exists", db], check=True, env=pg_env())
    subprocess.run(
        [sys.executable, "-m", "odoo", *odoo_args(db)]
        + ["-i", "recurring_billing_dunning", "--without-demo=all"]
        + ["--stop-after-init"],
        check=True,
    )


def pg_env():
    return dict(
        os.environ,
        PGHOST=os.environ.get("PGHOST", "127.0.0.1"),
        PGPORT=os.environ.get("PGPORT", "5432"),
        PGUSER=os.environ.get("PGUSER", "root"),
    )


def setup(db, n, per_customer=10):
    from datetime import timedelta

    from odoo import Command

    env = env_for(db)
    company = env.company
    today = company._get_today()
    due = today - timedelta(days=4)
    tax = env["account.tax"].search(
        [
            ("company_id", "=", company.id),
            ("type_tax_use", "=", "sale"),
            ("amount", "=", 20.0),
            ("amount_type", "=", "percent"),
        ],
        limit=1,
    ) or env["account.tax"].create(
        {"name": "VAT 20 %", "amount": 20.0, "type_tax_use": "sale"}
    )
    plan = env["recurring.plan"].create({"name": "Bench monthly"})
    product = env["product.product"].create(
        {
            "name": "Bench seat",
            "type": "service",
            "list_price": 66.0,
            "recurring_invoice": True,
            "invoice_policy": "order",
            "taxes_id": [Command.set(tax.ids)],
        }
    )
    template = env["sale.order.template"].create(
        {"name": "Bench", "plan_id": plan.id, "auto_post": False}
    )
    subs = n // per_customer
    partners = env["res.partner"].create(
        [
            {"name": f"Bench customer {i}", "email": f"c{i}@example.com"}
            for i in range(subs)
        ]
    )
    orders = env["sale.order"].create(
        [
            {
                "partner_id": partner.id,
                "sale_order_template_id": template.id,
                "subscription_start_date": due,
                "order_line": [Command.create({"product_id": product.id})],
            }
            for partner in partners
        ]
    )
    orders.action_confirm()
    env.cr.commit()
    created = 0
    for start in range(0, subs, 50):
        batch = orders[start : start + 50]
        moves = env["account.move"].create(
            [
                {
                    "move_type": "out_invoice",
                    "partner_id": order.partner_id.id,
                    "invoice_date": due,
                    "invoice_date_due": due,
                    "subscription_id": order.id,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "product_id": product.id,
                                "price_unit": 66.0,
                                "tax_ids": [Command.set(tax.ids)],
                            }
                        )
                    ],
                }
                for order in batch
                for _i in range(per_customer)
            ]
        )
        moves.action_post()
        env.cr.commit()
        created += len(moves)
        print(f"  setup: {created}/{n} invoices", flush=True)
    env.cr.close()


def timed(db, batch_size):
    env = env_for(db)
    Run = env["recurring.dunning.run"]
    calls = processed = 0
    start = time.perf_counter()
    while True:
        call_start = time.perf_counter()
        done = Run._cron_dunning(batch_size=batch_size)
        env.cr.commit()
        env.invalidate_all()
        calls += 1
        processed += done
        now = time.perf_counter()
        elapsed = now - start
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"  call {calls}: {done} in {now - call_start:.1f} s; "
            f"{processed} invoice steps in {elapsed:.0f} s "
            f"({processed / elapsed:.1f}/s), peak RSS {rss:.0f} MB",
            file=sys.stderr,
            flush=True,
        )
        if not done:
            break
    elapsed = time.perf_counter() - start
    history = env["recurring.dunning.history"].search_count([])
    mails = env["mail.mail"].search_count([("model", "=", "account.move")])
    # One letter per customer and step: the 10 invoices of a customer share
    # their reminder.
    env.cr.execute(
        "SELECT COUNT(DISTINCT m.commercial_partner_id)"
        " FROM recurring_dunning_history h JOIN account_move m ON m.id = h.move_id"
    )
    customers = env.cr.fetchone()[0]
    errors = env["account.move"].search_count([("dunning_error", "!=", False)])
    invoices = env["account.move"].search_count([("dunning_state", "=", "running")])
    env.cr.close()
    return {
        "elapsed": elapsed,
        "calls": calls,
        "history": history,
        "mails": mails,
        "customers": customers,
        "errors": errors,
        "invoices": invoices,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--db", default="rbbench_dunning")
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument(
        "--per-customer",
        type=int,
        default=10,
        help="invoices of each customer (one subscription each)",
    )
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="skip install+setup")
    parser.add_argument("--_phase")
    args = parser.parse_args()
    if args._phase == "setup":
        setup(args.db, args.n, args.per_customer)
        return
    if args._phase == "timed":
        print("RESULT " + json.dumps(timed(args.db, args.batch_size)), flush=True)
        return
    if not args.reuse:
        print(f"Installing {args.db} ...", flush=True)
        install(args.db)
        subprocess.run(
            [sys.executable, str(HERE), "--_phase", "setup", "--db", args.db]
            + ["--n", str(args.n), "--per-customer", str(args.per_customer)],
            check=True,
        )
    out = subprocess.run(
        [sys.executable, str(HERE), "--_phase", "timed", "--db", args.db]
        + ["--batch-size", str(args.batch_size)],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    result = json.loads(out.split("RESULT ", 1)[1])
    rate = result["invoices"] / result["elapsed"] if result["elapsed"] else 0
    print(f"os.cpu_count() = {os.cpu_count()} (shared, noisy machine)")
    print(
        f"dunning cron over {result['invoices']} overdue invoices: "
        f"{result['elapsed']:.1f} s in {result['calls']} calls, "
        f"{rate:.1f} invoices/s, peak RSS {result['peak_rss_mb']:.0f} MB"
    )
    print(
        f"check: {result['history']} history lines, {result['mails']} emails "
        f"queued for {result['customers']} customers, {result['errors']} "
        "invoices in error"
    )
    ok = (
        result["history"] == result["invoices"]
        and result["mails"] == result["customers"]
        and not result["errors"]
    )
    print("check OK" if ok else "check FAILED")
    if not args.keep:
        subprocess.run(["dropdb", "--if-exists", args.db], check=True, env=pg_env())
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
