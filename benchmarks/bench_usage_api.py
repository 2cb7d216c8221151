#!/usr/bin/env python3
# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Benchmark: usage sent to POST /recurring/usage/v1/records over HTTP.

    python3 benchmarks/bench_usage_api.py [--subscriptions 1000]
        [--records 100000] [--singles 1000] [--bill] [--keep] [--db-prefix P]

The database is made as bench_usage_billing.py makes it (its template and
setup steps are reused: N metered subscriptions started the first day of the
previous month, postpaid, not billed yet), in <P>usageapi_tpl and
<P>usageapi_<N>. Then:

  user      (not timed) a user of the company in the "Usage API" group and an
            API key of scope recurring_usage;
  server    an Odoo server in a subprocess on this database (--workers=0,
            --max-cron-threads=0, log level warn, a free port);
  batches   (timed) R usage records (the same records as the ORM import of
            bench_usage_billing.py: subscription id, day of the previous
            month, quantity 1..300, reference u-<i>) posted in calls of 10,000
            records, one after the other, each timed from the request sent to
            its answer decoded; the JSON bodies are encoded before the timer;
            the server's RSS (/proc) read after each call;
  retry     (timed) the first call sent again: everything known, nothing stored;
  singles   (timed) S calls of one record each, one after the other;
  check     count and total quantity of the stored usage against what was
            sent; with --bill, the billing step of bench_usage_billing.py
            bills it and checks every invoice to the cent.
"""

import argparse
import datetime
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_recurring_invoicing as base  # noqa: E402
import bench_usage_billing as usage_bench  # noqa: E402

HERE = Path(__file__).resolve()
BATCH = 10000
URL = "/recurring/usage/v1/records"
log = base.log


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_mib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return 0.0


def run_user_worker(db):
    with tempfile.NamedTemporaryFile("r", suffix=".json", delete=False) as tmp:
        result_file = tmp.name
    cmd = [sys.executable, str(HERE), "--_worker", "user", "--_db", db]
    subprocess.run([*cmd, "--_result", result_file], env=base.pg_env(), check=True)
    try:
        return json.loads(Path(result_file).read_text())
    finally:
        Path(result_file).unlink()


def start_server(db, port):
    cmd = [sys.executable, "-m", "odoo", "-d", db, "--db-filter", f"^{db}$"]
    cmd += ["--db_host", base.DB_HOST, "--db_port", base.DB_PORT]
    cmd += ["--db_user", base.DB_USER, "--addons-path"]
    cmd += [base.addons_path(base.odoo_dir()), "--http-interface", "127.0.0.1"]
    cmd += ["--http-port", str(port), "--workers=0", "--max-cron-threads=0"]
    cmd += ["--log-level=warn"]
    proc = subprocess.Popen(cmd, env=base.pg_env())
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            requests.get(
                f"http://127.0.0.1:{port}/web/webclient/version_info", timeout=5
            )
            return proc
        except requests.ConnectionError:
            time.sleep(1)
    proc.terminate()
    sys.exit("the Odoo server did not answer within 180 s")


def records_of(plan, first):
    return [
        {
            "reference": f"u-{i}",
            "subscription": sub,
            "quantity": quantity,
            "timestamp": f"{day.isoformat()}T12:00:00Z",
        }
        for i, (sub, day, quantity) in enumerate(plan, first)
    ]


def post(session, url, key, body):
    start = time.perf_counter()
    response = session.post(
        url,
        data=body,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        timeout=300,
    )
    answer = response.json()
    return time.perf_counter() - start, response.status_code, answer


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscriptions", type=int, default=1000)
    parser.add_argument("--records", type=int, default=100000)
    parser.add_argument("--singles", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=100, help="of the cron")
    parser.add_argument("--bill", action="store_true", help="bill and check")
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument("--db-prefix", default=base.DB_PREFIX)
    parser.add_argument("--_worker", help=argparse.SUPPRESS)
    parser.add_argument("--_db", help=argparse.SUPPRESS)
    parser.add_argument("--_result", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._worker:
        return worker_main(args)
    base.DB_PREFIX = args.db_prefix
    usage_bench.TPL_DB = f"{args.db_prefix}usageapi_tpl"
    n, r, s = args.subscriptions, args.records, args.singles
    db = f"{args.db_prefix}usageapi_{n}"
    log(f"machine: {base.machine_info()}")
    started = datetime.datetime.now().astimezone()
    created, server, errors = [], None, []
    try:
        created.append(usage_bench.TPL_DB)
        usage_bench.build_template(args, base.odoo_dir())
        created.append(db)
        base.dropdb(db)
        base.createdb(db, template=usage_bench.TPL_DB)
        setup = usage_bench.run_worker("setup", db, args)
        log(f"setup: {setup}")
        data = run_user_worker(db)
        plan = list(usage_bench._import_plan(data, r + s))
        bodies = [
            json.dumps({"records": records_of(plan[i : i + BATCH], i)})
            for i in range(0, r, BATCH)
        ]
        singles = [
            json.dumps({"records": records_of([plan[i]], i)}) for i in range(r, r + s)
        ]
        usage_bench.fresh_stats(db)
        port = free_port()
        server = start_server(db, port)
        url = f"http://127.0.0.1:{port}{URL}"
        session = requests.Session()
        rss_start = rss_mib(server.pid)
        # One call of one record, not counted, so the first batch does not
        # pay for the server's first request.
        warm = json.dumps({"records": records_of([plan[0]], 0)})
        post(session, url, data["key"], warm)
        rss, times, created_count = [], [], 0
        for body in bodies:
            seconds, status, answer = post(session, url, data["key"], body)
            times.append(seconds)
            rss.append(rss_mib(server.pid))
            if status != 200 or answer["errors"]:
                errors.append(f"batch answered {status}: {str(answer)[:300]}")
            else:
                created_count += len(answer["created"])
        total = sum(times)
        log(
            f"batches: {r} records in {total:.1f}s, {r / total:.0f} records/s; "
            f"RSS {rss_start:.0f} -> {', '.join(f'{m:.0f}' for m in rss)} MiB"
        )
        retry_seconds, status, answer = post(session, url, data["key"], bodies[0])
        if status != 200 or answer["created"] or len(answer["known"]) != BATCH:
            errors.append(f"retry: {status}, {len(answer.get('created', []))} created")
        start = time.perf_counter()
        for body in singles:
            _seconds, status, answer = post(session, url, data["key"], body)
            if status != 200 or len(answer["created"]) != 1:
                errors.append(f"single call answered {status}: {answer}")
                break
        singles_seconds = time.perf_counter() - start
        rss_end = rss_mib(server.pid)
        log(
            f"singles: {s} calls in {singles_seconds:.1f}s, {s / singles_seconds:.0f}/s"
        )
        server.terminate()
        server.wait(60)
        server = None
        count, quantity = base.psql(
            "SELECT count(*), coalesce(sum(quantity), 0)::bigint FROM recurring_usage",
            db,
        ).split("|")
        expected = sum(q for _sub, _day, q in plan)
        # The warm-up record is u-0, sent again by the first batch: known.
        if created_count != r - 1:
            errors.append(
                f"{created_count} records created by the batches, not {r - 1}"
            )
        if int(count) != r + s or int(quantity) != expected:
            errors.append(
                f"{count} records, total {quantity}: expected {r + s}, {expected}"
            )
        bill = None
        if args.bill and not errors:
            args.records = r + s
            bill = usage_bench.run_worker("bill", db, args)
            errors += bill["errors"]
    finally:
        if server is not None:
            server.terminate()
            server.wait(60)
        if not args.keep:
            for name in created:
                base.dropdb(name)
    print()
    print(
        f"Usage API: {r:,} records in calls of {BATCH:,} for {n:,} subscriptions, "
        f"then {s:,} calls of one record; {started:%Y-%m-%d %H:%M %Z}, "
        f"{base.machine_info()}; Odoo 18.0 --workers=0, log level warn"
    )
    print(
        f"calls of {BATCH:,}: {total:.1f}s, {r / total:,.0f} records/s "
        f"(fastest call {BATCH / min(times):,.0f}/s, "
        f"slowest {BATCH / max(times):,.0f}/s)"
    )
    print(f"retried call of {BATCH:,}, all known: {retry_seconds:.2f}s")
    print(f"calls of one record: {s / singles_seconds:.0f} calls/s")
    print(
        f"server RSS MiB: {rss_start:.0f} before, {rss[0]:.0f} after the first "
        f"call, {max(rss):.0f} at most, {rss_end:.0f} at the end"
    )
    if bill:
        print(
            f"billing: {bill['invoices']} invoices checked to the cent, "
            f"untaxed total {bill['untaxed_total']:.2f}"
        )
    for error in errors:
        print(f"FAIL {error}")
    return 1 if errors else 0


def worker_main(args):
    env = base._odoo_env(args._db)
    try:
        from odoo import Command

        company = env.ref("base.main_company")
        user = env["res.users"].create(
            {
                "name": "Usage API",
                "login": "usage_api",
                "company_id": company.id,
                "company_ids": [Command.set(company.ids)],
                "groups_id": [
                    Command.set(
                        [
                            env.ref("base.group_user").id,
                            env.ref("recurring_billing.group_recurring_usage_api").id,
                        ]
                    )
                ],
            }
        )
        key = (
            env["res.users.apikeys"]
            .with_user(user)
            .sudo()
            ._generate("recurring_usage", "Benchmark", None)
        )
        data = usage_bench._data(env)
        env.cr.commit()
    finally:
        env.cr.close()
    Path(args._result).write_text(
        json.dumps(
            {
                "key": key,
                "subscriptions": data["subscriptions"],
                "start": data["start"],
                "due": data["due"],
            }
        )
    )
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
