#!/usr/bin/env python3
# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Benchmark: usage billing of R usage records for N metered subscriptions.

    python3 benchmarks/bench_usage_billing.py [--subscriptions 1000]
        [--records 100000] [--keep]

Template database rbbench_usage_tpl: recurring_billing installed without demo
data, then the company set up exactly as bench_recurring_invoicing.py does it
(France, EUR, French chart, 20 % VAT; its helpers are imported from there), a
monthly plan, a base product (30.00 per month), a metered product (1,000 units
included per month, then graduated tiers: up to 10,000 units at 0.01, above at
0.005; "Product Price" precision set to 4 digits), a postpaid auto-posted
template and N customers. Copied to rbbench_usage_<N>, then, each step in its
own Python process (in-process Odoo API, log level warn, SMTP stubbed):

  setup    (not timed) N subscriptions (base + metered line) started on the
           first day of the previous month, confirmed with the clock frozen
           on that day: with postpaid billing each is due on the first day of
           the current month;
  import   (timed) R recurring.usage records, spread evenly over the N
           subscriptions and the days of the previous month, created through
           the ORM by 1,000 with a commit after each batch;
  billing  (timed, the headline figure) recurring.invoicing._cron_recurring_invoice(
           batch_size=100) called until nothing is due, committing after each
           call (as the cron framework does); then checked: N posted invoices,
           every usage record invoiced on its own subscription's invoice, and
           each invoice's untaxed amount = 30.00 + tiered price of its usage
           above 1,000 (every tier amount rounded to cents) recomputed here by
           hand (3 sampled subscriptions shown in detail, all N compared).

Only the databases rbbench_usage_tpl and rbbench_usage_<N> are created and
dropped (unless --keep); bench_recurring_invoicing.py may run at the same time.
"""

import argparse
import datetime
import json
import random
import subprocess
import sys
import tempfile
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_recurring_invoicing as base  # noqa: E402

HERE = Path(__file__).resolve()
TPL_DB = base.DB_PREFIX + "usage_tpl"
INSTALL_MODULES = "recurring_billing"
PARAM = "rbbench_usage.data"
SEED = 42
MAX_QUANTITY = 300  # random quantity 1..300 per record: ~150 on average
BASE_PRICE = Decimal("30.00")
INCLUDED = 1000
TIERS = [(10000, Decimal("0.01")), (0, Decimal("0.005"))]  # up_to 0 = open tier
IMPORT_BATCH = 1000
log = base.log


# ======================================================================
# Orchestrator
# ======================================================================


def run_worker(phase, db, args):
    with tempfile.NamedTemporaryFile("r", suffix=".json", delete=False) as tmp:
        result_file = tmp.name
    cmd = [sys.executable, str(HERE), "--_worker", phase, "--_db", db]
    cmd += ["--_result", result_file, "--subscriptions", str(args.subscriptions)]
    cmd += ["--records", str(args.records), "--batch-size", str(args.batch_size)]
    proc = subprocess.run(cmd, env=base.pg_env())
    try:
        text = Path(result_file).read_text()
        result = json.loads(text) if text else None
    finally:
        Path(result_file).unlink()
    if proc.returncode or result is None:
        sys.exit(f"worker {phase} on {db} failed (exit {proc.returncode})")
    return result


def build_template(args, odoo):
    base.dropdb(TPL_DB)
    base.createdb(TPL_DB)
    log(f"installing {INSTALL_MODULES} in {TPL_DB} (without demo data)")
    start = time.perf_counter()
    cmd = ["odoo", "-d", TPL_DB, "--db_host", base.DB_HOST, "--db_port"]
    cmd += [base.DB_PORT, "--db_user", base.DB_USER, "--addons-path"]
    cmd += [base.addons_path(odoo), "-i", INSTALL_MODULES, "--without-demo=all"]
    cmd += ["--stop-after-init", "--log-level=warn", "--workers=0"]
    cmd += ["--max-cron-threads=0"]
    proc = subprocess.run(cmd, env=base.pg_env(), capture_output=True, text=True)
    if proc.returncode:
        print(proc.stderr[-5000:])
        sys.exit(f"odoo -i {INSTALL_MODULES} failed (exit {proc.returncode})")
    log(f"installed in {time.perf_counter() - start:.0f}s")
    result = run_worker("template", TPL_DB, args)
    log(f"template data ready: {result}")


def fresh_stats(db):
    """Planner statistics as autovacuum would have them, no dirty buffers."""
    base.psql("VACUUM ANALYZE", db)
    base.psql("CHECKPOINT", db)


def fmt_table(rows):
    headers = ["phase", "seconds", "records/s", "invoices/s", "peak RSS MiB", "check"]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    return "\n".join(
        "  ".join(
            cell.rjust(w) if i else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        )
        for line in [headers, ["-" * w for w in widths], *rows]
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscriptions", type=int, default=1000)
    parser.add_argument("--records", type=int, default=100000)
    parser.add_argument("--batch-size", type=int, default=100, help="of the cron")
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument("--_worker", help=argparse.SUPPRESS)
    parser.add_argument("--_db", help=argparse.SUPPRESS)
    parser.add_argument("--_result", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._worker:
        return worker_main(args)
    n, r = args.subscriptions, args.records
    if n < 1 or r < 1:
        parser.error("--subscriptions and --records must be positive")

    wall = time.perf_counter()
    started = datetime.datetime.now().astimezone()
    log(f"machine: {base.machine_info()}")
    db = f"{base.DB_PREFIX}usage_{n}"
    created = []
    try:
        created.append(TPL_DB)
        build_template(args, base.odoo_dir())
        created.append(db)
        base.dropdb(db)
        base.createdb(db, template=TPL_DB)
        setup = run_worker("setup", db, args)
        log(f"setup: {setup}")
        fresh_stats(db)
        imp = run_worker("import", db, args)
        log(f"import: {imp['seconds']:.1f}s, {imp['rate']:.0f} records/s")
        fresh_stats(db)
        bill = run_worker("bill", db, args)
        log(f"billing: {bill['seconds']:.1f}s, {bill['rate']:.2f} invoices/s")
    finally:
        if not args.keep:
            for name in created:
                base.dropdb(name)
    errors = imp["errors"] + bill["errors"]
    print()
    print(
        f"Usage billing of {r:,} records for {n:,} subscriptions, "
        f"{started:%Y-%m-%d %H:%M %Z}, {base.machine_info()}"
    )
    print(
        f"Odoo 18.0, cron batch size {args.batch_size}, import batches of "
        f"{IMPORT_BATCH}, usage of {setup['usage_from']} to {setup['usage_to']} "
        f"billed on {setup['due']}, log level warn, single process"
    )
    print()
    print(
        fmt_table(
            [
                [
                    "usage import",
                    f"{imp['seconds']:.1f}",
                    f"{imp['rate']:.0f}",
                    "-",
                    f"{imp['rss_peak_mib']:.0f}",
                    "OK" if not imp["errors"] else "FAIL",
                ],
                [
                    "billing",
                    f"{bill['seconds']:.1f}",
                    f"{bill['usage_rate']:.0f}",
                    f"{bill['rate']:.2f}",
                    f"{bill['rss_peak_mib']:.0f}",
                    "OK" if not bill["errors"] else "FAIL",
                ],
            ]
        )
    )
    print()
    print(
        f"billing: {bill['invoices']} invoices ({bill['posted']} posted, "
        f"{bill['lines']} product lines) in {bill['calls']} cron call(s), "
        f"{bill['tier2']} of them reaching the second tier; "
        f"untaxed total {bill['untaxed_total']:.2f}"
    )
    for sample in bill["samples"]:
        print(
            "sample {order}: usage {usage:.0f}, expected {expected} untaxed, "
            "invoice {name} {actual:.2f}".format(**sample)
        )
    for error in errors:
        print(f"FAIL {error}")
    print(f"\ntotal wall time {time.perf_counter() - wall:.0f}s")
    return 1 if errors else 0


# ======================================================================
# Workers (Odoo in-process)
# ======================================================================


def worker_main(args):
    env = base._odoo_env(args._db)
    try:
        phase = {
            "template": w_template,
            "setup": w_setup,
            "import": w_import,
            "bill": w_bill,
        }[args._worker]
        result = phase(env, args)
        env.cr.commit()
    finally:
        env.cr.close()
    Path(args._result).write_text(json.dumps(result))
    return 0


def _data(env):
    return json.loads(env["ir.config_parameter"].get_param(PARAM))


def _set_data(env, **values):
    data = json.loads(env["ir.config_parameter"].get_param(PARAM) or "{}")
    env["ir.config_parameter"].set_param(PARAM, json.dumps({**data, **values}))


def w_template(env, args):
    from odoo import Command

    # Company, chart, tax, pricelists and customers as the other benchmark
    # (it also makes two products and a template that are not used here).
    summary = base.w_template(env, args.subscriptions)
    env.cr.commit()
    env = env(context={})
    partners = base._params(env)["partners"]
    tax = env.ref("base.main_company").account_sale_tax_id
    env.ref("product.decimal_price").digits = 4
    plan = env["recurring.plan"].create(
        {"name": "Monthly", "billing_period_value": 1, "billing_period_unit": "month"}
    )
    common = {
        "type": "service",
        "recurring_invoice": True,
        "invoice_policy": "order",
        "taxes_id": [Command.set(tax.ids)],
    }
    base_product = env["product.template"].create(
        {**common, "name": "API platform", "list_price": 30.0}
    )
    metered = env["product.template"].create(
        {
            **common,
            "name": "API calls",
            "list_price": 0.0,
            "recurring_usage": True,
            "recurring_usage_included": INCLUDED,
            "recurring_pricing_model": "tiered",
            "recurring_tier_ids": [
                Command.create({"up_to": up_to, "unit_price": float(price)})
                for up_to, price in TIERS
            ],
        }
    )
    template = env["sale.order.template"].create(
        {
            "name": "API plan",
            "plan_id": plan.id,
            "invoicing_mode": "postpaid",
            "auto_post": True,
        }
    )
    _set_data(
        env,
        partners=partners,
        base=base_product.product_variant_id.id,
        metered=metered.product_variant_id.id,
        template=template.id,
    )
    return {**summary, "tiers": metered._get_recurring_tiers()}


def _month_start(day):
    return day.replace(day=1)


def w_setup(env, args):
    from freezegun import freeze_time

    from odoo import Command

    data = _data(env)
    SO = env["sale.order"]
    today = env.ref("base.main_company")._get_today()
    due = _month_start(today)
    start = _month_start(due - datetime.timedelta(days=1))
    partners = data["partners"][: args.subscriptions]
    assert len(partners) == args.subscriptions, "too few customers"
    ids = []
    with freeze_time(start):
        for offset in range(0, len(partners), 100):
            orders = SO.create(
                [
                    {
                        "partner_id": pid,
                        "sale_order_template_id": data["template"],
                        "subscription_start_date": start,
                        "order_line": [
                            Command.create(
                                {"product_id": data["base"], "product_uom_qty": 1}
                            ),
                            Command.create(
                                {"product_id": data["metered"], "product_uom_qty": 1}
                            ),
                        ],
                    }
                    for pid in partners[offset : offset + 100]
                ]
            )
            orders.action_confirm()
            env.cr.commit()
            ids += orders.ids
    due_count = SO.search_count(SO._get_subscriptions_to_invoice_domain())
    env.cr.execute(
        "SELECT count(*) FROM sale_order WHERE subscription_state = 'active' "
        "AND next_invoice_date = %s",
        [due],
    )
    due_first = env.cr.fetchone()[0]
    assert due_count == due_first == len(ids), (due_count, due_first, len(ids))
    usage_to = due - datetime.timedelta(days=1)
    _set_data(env, subscriptions=ids, start=str(start), due=str(due))
    return {
        "subscriptions": len(ids),
        "due": str(due),
        "usage_from": str(start),
        "usage_to": str(usage_to),
    }


def _import_plan(data, records):
    """(subscription id, date, quantity) of each usage record, reproducibly."""
    subs = data["subscriptions"]
    start = datetime.date.fromisoformat(data["start"])
    days = (datetime.date.fromisoformat(data["due"]) - start).days
    rng = random.Random(SEED)
    quantities = [rng.randint(1, MAX_QUANTITY) for _ in range(records)]
    n = len(subs)
    for i, quantity in enumerate(quantities):
        # Record i: subscription i mod N, on day (i div N) mod days of the month.
        yield subs[i % n], start + datetime.timedelta(days=(i // n) % days), quantity


def w_import(env, args):
    import gc

    data = _data(env)
    plan = list(_import_plan(data, args.records))
    metered = data["metered"]
    Usage = env["recurring.usage"]
    gc.collect()
    start = time.perf_counter()
    for offset in range(0, len(plan), IMPORT_BATCH):
        Usage.create(
            [
                {
                    "subscription_id": sub,
                    "product_id": metered,
                    "date": day,
                    "quantity": quantity,
                    "reference": f"u-{i}",
                }
                for i, (sub, day, quantity) in enumerate(
                    plan[offset : offset + IMPORT_BATCH], offset
                )
            ]
        )
        env.cr.commit()
    seconds = time.perf_counter() - start
    rss_peak = base._maxrss_mib()
    env.cr.execute("SELECT count(*), coalesce(sum(quantity), 0) FROM recurring_usage")
    count, total = env.cr.fetchone()
    errors = []
    if count != args.records:
        errors.append(f"{count} usage records instead of {args.records}")
    if round(total) != sum(q for _s, _d, q in plan):
        errors.append(f"usage total {total} differs from the quantities imported")
    return {
        "seconds": seconds,
        "rate": args.records / seconds if seconds else 0.0,
        "rss_peak_mib": rss_peak,
        "errors": errors,
    }


def expected_untaxed(usage):
    """30.00 + the tiered price of the usage above what is included, each
    tier's amount rounded to the cent (half up), computed without Odoo."""
    billable = max(Decimal(str(usage)) - INCLUDED, Decimal(0))
    total, lower = BASE_PRICE, Decimal(0)
    for up_to, price in TIERS:
        upper = Decimal(up_to) if up_to else None
        if billable <= lower:
            break
        inside = (min(billable, upper) if upper is not None else billable) - lower
        total += (inside * price).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        lower = upper
    return total


def w_bill(env, args):
    import gc

    n = args.subscriptions
    SO = env["sale.order"]
    max_calls = n // args.batch_size + 10
    calls = 0
    gc.collect()
    start = time.perf_counter()
    while True:
        env["recurring.invoicing"]._cron_recurring_invoice(batch_size=args.batch_size)
        env.cr.commit()
        calls += 1
        if not SO.search_count(SO._get_subscriptions_to_invoice_domain()):
            break
        if calls > max_calls:
            raise RuntimeError(f"still work after {calls} calls")
    seconds = time.perf_counter() - start
    rss_peak = base._maxrss_mib()

    # ---- correctness checks (not timed) ----
    env.invalidate_all()
    errors = []
    env.cr.execute(
        """
        SELECT count(*), count(*) FILTER (WHERE state = 'posted'),
               count(DISTINCT subscription_id), coalesce(sum(amount_untaxed), 0)
          FROM account_move WHERE move_type = 'out_invoice'
        """
    )
    invoices, posted, linked, untaxed_total = env.cr.fetchone()
    env.cr.execute(
        """
        SELECT count(*) FROM account_move_line l
          JOIN account_move m ON m.id = l.move_id
         WHERE m.move_type = 'out_invoice' AND l.display_type = 'product'
        """
    )
    lines = env.cr.fetchone()[0]
    env.cr.execute(
        """
        SELECT count(*) FILTER (WHERE u.move_id IS NULL),
               count(*) FILTER (WHERE m.subscription_id <> u.subscription_id)
          FROM recurring_usage u LEFT JOIN account_move m ON m.id = u.move_id
        """
    )
    not_billed, wrong_invoice = env.cr.fetchone()
    if invoices != n or posted != n or linked != n:
        errors.append(
            f"{invoices} invoices, {posted} posted, {linked} subscriptions "
            f"invoiced: expected {n} of each"
        )
    if not_billed:
        errors.append(f"{not_billed} usage records without an invoice")
    if wrong_invoice:
        errors.append(f"{wrong_invoice} usage records on another subscription's bill")
    left = SO.search_count(SO._get_subscriptions_to_invoice_domain())
    flagged = SO.search_count([("recurring_billing_error", "!=", False)])
    if left or flagged:
        errors.append(f"{left} subscriptions still due, {flagged} flagged with errors")

    # Every invoice's untaxed amount against the usage recomputed by hand.
    env.cr.execute(
        """
        SELECT s.id, s.name, coalesce(u.total, 0), m.name, m.amount_untaxed
          FROM sale_order s
          LEFT JOIN (SELECT subscription_id, sum(quantity) AS total
                       FROM recurring_usage GROUP BY subscription_id) u
                 ON u.subscription_id = s.id
          LEFT JOIN account_move m
                 ON m.subscription_id = s.id AND m.move_type = 'out_invoice'
         WHERE s.is_subscription
         ORDER BY s.id
        """
    )
    rows = env.cr.fetchall()
    mismatches, tier2 = [], 0
    for _sid, order, usage, move, actual in rows:
        expected = expected_untaxed(usage)
        tier2 += usage - INCLUDED > TIERS[0][0]
        if actual is None or abs(float(actual) - float(expected)) > 0.005:
            mismatches.append(f"{order}: {move} {actual} != {expected}")
    if mismatches:
        errors.append(
            f"{len(mismatches)} invoices with a wrong untaxed amount, e.g. "
            + "; ".join(mismatches[:3])
        )
    # Three samples shown: least usage, most usage, one drawn at random.
    by_usage = sorted(rows, key=lambda row: (row[2], row[0]))
    picked = [by_usage[0], by_usage[-1], random.Random(SEED).choice(rows)]
    samples = []
    for _sid, order, usage, move, actual in dict.fromkeys(picked):
        expected = expected_untaxed(usage)
        if actual is None or abs(float(actual) - float(expected)) > 0.005:
            errors.append(f"sample {order}: {move} {actual} != {expected}")
        samples.append(
            {
                "order": order,
                "usage": float(usage),
                "expected": str(expected),
                "name": move,
                "actual": float(actual or 0.0),
            }
        )
    return {
        "seconds": seconds,
        "rate": n / seconds if seconds else 0.0,
        "usage_rate": args.records / seconds if seconds else 0.0,
        "rss_peak_mib": rss_peak,
        "calls": calls,
        "invoices": invoices,
        "posted": posted,
        "lines": lines,
        "tier2": tier2,
        "untaxed_total": float(untaxed_total),
        "samples": samples,
        "errors": errors,
    }


if __name__ == "__main__":
    sys.exit(main())
