#!/usr/bin/env python3
# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Benchmark: the recurring-invoicing job on N subscriptions with 1, 2, 4 workers.

    python3 benchmarks/bench_recurring_workers.py [--n 10000] [--workers 1,2,4]
        [--batch-size 100] [--db-prefix rbbench_] [--keep]

Template: the database of bench_recurring_invoicing.py (France, EUR, French
chart, 20 % VAT, two subscription products, an auto-posted monthly template,
N customers; recurring_billing only), then N subscriptions created and
confirmed, all due today (79.20 EUR each), in ``<prefix>workers_src``.

For each worker count W, on a fresh copy ``<prefix>workers_<W>`` of it: W
separate Python processes (in-process Odoo API, SMTP stubbed, log level warn
except the job's own INFO lines, which are counted) load the registry, wait
for each other, then each runs the loop of an Odoo cron thread:
``recurring.invoicing._cron_recurring_invoice(batch_size)`` then ``commit()``,
until nothing is due. This is what W copies of the cron entry on W cron
threads do, and what W ``queue_job`` jobs running at once on a channel of
capacity W do (each job bills the next free batch, as each call here does).
Timed: from the common start to the end of the last worker.

Then checked: N posted invoices of 79.20, one per subscription, invoice
numbers unique and following invoice dates, nothing left due, no subscription
flagged, no ERROR line logged by any worker.

Printed: invoices per second for each W with ``os.cpu_count()``, each worker's
share, contention retries (serialization failures met and retried), and peak
RSS per worker (sampled every 10 batches for W = 1, to show it stays flat).

Only databases whose name starts with ``--db-prefix`` (default ``rbbench_``)
are created and dropped. ``--prepare-only`` builds the source database and
stops; ``--reuse-source`` uses an existing one.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_recurring_invoicing as base  # noqa: E402

HERE = Path(__file__).resolve()


def log(msg):
    print(f"[workers {time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ======================================================================
# Orchestrator
# ======================================================================


def spawn(args, phase, db, extra=()):
    result = tempfile.NamedTemporaryFile("r", suffix=".json", delete=False).name
    cmd = [
        sys.executable,
        str(HERE),
        "--_worker",
        phase,
        "--_db",
        db,
        "--_result",
        result,
        "--n",
        str(args.n),
        "--batch-size",
        str(args.batch_size),
        *extra,
    ]
    return subprocess.Popen(cmd, env=base.pg_env()), result


def collect(proc, result):
    code = proc.wait()
    try:
        text = Path(result).read_text()
        data = json.loads(text) if text else None
    finally:
        os.unlink(result)
    if code or data is None:
        sys.exit(f"worker failed (exit {code})")
    return data


def prepare_source(args, odoo, src):
    base.build_template(args, odoo, args.n)
    base.dropdb(src)
    base.createdb(src, template=base.TPL_DB)
    start = time.perf_counter()
    prep = base.run_worker(args, "prepare", src, "ours", args.n)
    log(f"{args.n} subscriptions prepared in {time.perf_counter() - start:.0f}s")
    log(f"{prep}")
    base.psql("VACUUM ANALYZE", src)


def run_workers(args, src, workers):
    db = f"{base.DB_PREFIX}workers{args.tag}_{workers}"
    base.dropdb(db)
    base.createdb(db, template=src)
    base.psql("CHECKPOINT", db)
    with tempfile.TemporaryDirectory() as sync:
        procs = [
            spawn(
                args,
                "run",
                db,
                ["--_sync", sync, "--_index", str(i), "--_count", str(workers)],
            )
            for i in range(workers)
        ]
        # Start them together once every registry is loaded.
        while len(list(Path(sync).glob("ready-*"))) < workers:
            if any(proc.poll() is not None for proc, _r in procs):
                break
            time.sleep(0.2)
        Path(sync, "go").write_text(str(time.time()))
        results = [collect(proc, result) for proc, result in procs]
    check = collect(*spawn(args, "check", db))
    if not args.keep:
        base.dropdb(db)
    start = min(r["start"] for r in results)
    end = max(r["end"] for r in results)
    seconds = end - start
    return {
        "workers": workers,
        "seconds": seconds,
        "rate": args.n / seconds,
        "shares": [r["invoices"] for r in results],
        "batches": [r["batches"] for r in results],
        "retries": sum(r["contention"] for r in results),
        "errors_logged": sum(r["errors_logged"] for r in results),
        "rss_peak_mib": max(r["rss_peak_mib"] for r in results),
        "rss_series": results[0]["rss_series"] if workers == 1 else [],
        "check": check["errors"],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--db-prefix", default=base.DB_PREFIX)
    parser.add_argument(
        "--tag", default="", help="distinguishes the databases of parallel runs"
    )
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--prepare-only", action="store_true")
    parser.add_argument("--reuse-source", action="store_true")
    parser.add_argument("--reuse-template", action="store_true")
    parser.add_argument("--_worker", help=argparse.SUPPRESS)
    parser.add_argument("--_db", help=argparse.SUPPRESS)
    parser.add_argument("--_result", help=argparse.SUPPRESS)
    parser.add_argument("--_sync", help=argparse.SUPPRESS)
    parser.add_argument("--_index", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--_count", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    base.DB_PREFIX = args.db_prefix
    base.TPL_DB = args.db_prefix + "tpl"
    base.INSTALL_MODULES = "recurring_billing"
    if args._worker:
        return worker_main(args)
    # Options bench_recurring_invoicing's helpers read.
    args.profile = False
    args.repeat = 1

    wall = time.perf_counter()
    odoo = base.odoo_dir()
    src = f"{args.db_prefix}workers{args.tag}_src"
    log(f"machine: {base.machine_info()}; os.cpu_count() = {os.cpu_count()}")
    if not (args.reuse_source and base.db_exists(src)):
        prepare_source(args, odoo, src)
    if args.prepare_only:
        return 0
    rows = []
    for workers in [int(w) for w in args.workers.split(",")]:
        row = run_workers(args, src, workers)
        log(
            f"{workers} worker(s): {row['seconds']:.1f}s, {row['rate']:.2f} "
            f"invoices/s, shares {row['shares']}, contention retries "
            f"{row['retries']}, peak RSS {row['rss_peak_mib']:.0f} MiB, "
            + ("check OK" if not row["check"] else f"CHECK FAILED {row['check']}")
        )
        rows.append(row)
    if not args.keep:
        base.dropdb(src)
    print()
    print(
        f"Recurring invoicing with several workers, N = {args.n}, batch size "
        f"{args.batch_size}; os.cpu_count() = {os.cpu_count()} "
        f"({base.machine_info()})"
    )
    print()
    print(
        "| workers | seconds | invoices/s | speed-up | invoices per worker "
        "| contention retries | ERROR lines | peak RSS MiB | check |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    first = rows[0]["rate"]
    for row in rows:
        print(
            f"| {row['workers']} | {row['seconds']:.1f} | {row['rate']:.2f} | "
            f"{row['rate'] / first:.2f} | {', '.join(map(str, row['shares']))} | "
            f"{row['retries']} | {row['errors_logged']} | "
            f"{row['rss_peak_mib']:.0f} | "
            f"{'OK' if not row['check'] else '; '.join(row['check'])} |"
        )
    for row in rows:
        if row["rss_series"]:
            series = ", ".join(f"{b}: {m:.0f}" for b, m in row["rss_series"])
            print(f"\nRSS (MiB) of the single worker after n batches: {series}")
    print(f"\ntotal wall time {time.perf_counter() - wall:.0f}s")
    return 1 if any(r["check"] or r["errors_logged"] for r in rows) else 0


# ======================================================================
# Workers (Odoo in-process)
# ======================================================================


class _Counter:
    """Counts the job's contention lines and every ERROR line."""

    def __init__(self):
        import logging

        self.contention = 0
        self.errors = 0
        counter = self

        class Handler(logging.Handler):
            def emit(self, record):
                if record.levelno >= logging.ERROR:
                    counter.errors += 1
                    print("ERROR logged:", record.getMessage()[:300], flush=True)
                elif "concurrent update" in record.getMessage():
                    counter.contention += 1

        logging.getLogger().addHandler(Handler(level=logging.INFO))
        logging.getLogger("odoo.addons.recurring_billing.models").setLevel(logging.INFO)


def worker_main(args):
    if args._worker == "run":
        result = w_run(args)
    elif args._worker == "check":
        env = base._odoo_env(args._db)
        try:
            result = w_check(env, args.n)
        finally:
            env.cr.close()
    else:
        return base.worker_main(args)
    Path(args._result).write_text(json.dumps(result))
    return 0


def w_run(args):
    env = base._odoo_env(args._db)
    counter = _Counter()
    env.cr.rollback()
    Path(args._sync, f"ready-{args._index}").write_text("")
    while not Path(args._sync, "go").exists():
        time.sleep(0.05)
    SaleOrder = env["sale.order"]
    Move = env["account.move"]
    Invoicing = env["recurring.invoicing"]
    start = time.time()
    invoices = batches = idle = 0
    rss_series = []
    try:
        while True:
            billed = Invoicing._cron_recurring_invoice(batch_size=args.batch_size)
            env.cr.commit()
            if billed:
                invoices += len(billed)
                batches += 1
                if batches % 10 == 0:
                    rss_series.append((batches, base._maxrss_mib()))
                continue
            # Nothing billed: either nothing is due, or every due subscription
            # is held by another worker (or a concurrent update was met). The
            # cron goes on while invoices wait to be numbered (it triggers
            # itself), so does this loop.
            env.invalidate_all()
            if not SaleOrder.search_count(
                SaleOrder._get_subscriptions_to_invoice_domain()
            ) and not Move.search_count([("recurring_post_pending", "=", True)]):
                env.cr.rollback()
                break
            env.cr.rollback()
            idle += 1
            time.sleep(0.1)
        end = time.time()
    finally:
        env.cr.close()
    return {
        "start": start,
        "end": end,
        "invoices": invoices,
        "batches": batches,
        "idle_calls": idle,
        "contention": counter.contention,
        "errors_logged": counter.errors,
        "rss_peak_mib": base._maxrss_mib(),
        "rss_series": rss_series,
    }


def w_check(env, n):
    errors = []
    cr = env.cr
    cr.execute(
        """
        SELECT count(*),
               count(*) FILTER (WHERE state = 'posted'),
               count(*) FILTER (WHERE amount_total <> %s),
               count(DISTINCT subscription_id),
               count(DISTINCT name)
          FROM account_move
         WHERE move_type = 'out_invoice'
        """,
        [base.UNIT_TOTAL],
    )
    count, posted, bad_total, subscriptions, names = cr.fetchone()
    if count != n:
        errors.append(f"{count} invoices instead of {n}")
    if posted != n:
        errors.append(f"{posted} posted")
    if bad_total:
        errors.append(f"{bad_total} invoices not of {base.UNIT_TOTAL}")
    if subscriptions != n:
        errors.append(f"{subscriptions} subscriptions billed instead of {n}")
    if names != n:
        errors.append(f"{names} distinct numbers for {n} invoices")
    # Numbers follow dates: no invoice dated before one with a lower number.
    cr.execute(
        """
        SELECT count(*) FROM (
            SELECT invoice_date, max(invoice_date) OVER (
                       PARTITION BY journal_id, sequence_prefix
                       ORDER BY sequence_number
                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before
              FROM account_move WHERE move_type = 'out_invoice') x
         WHERE invoice_date < before
        """
    )
    unordered = cr.fetchone()[0]
    if unordered:
        errors.append(f"{unordered} invoices dated before a lower number")
    SaleOrder = env["sale.order"]
    if SaleOrder.search_count(SaleOrder._get_subscriptions_to_invoice_domain()):
        errors.append("subscriptions still due")
    flagged = SaleOrder.search_count([("recurring_billing_error", "!=", False)])
    if flagged:
        errors.append(f"{flagged} subscriptions flagged")
    return {"errors": errors}


if __name__ == "__main__":
    sys.exit(main())
