#!/usr/bin/env python3
# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Benchmark: N subscriptions billed by 1 or 2 Odoo servers through queue_job.

    python3 benchmarks/bench_recurring_servers.py [--n 10000] [--servers 1,2]
        [--jobs-per-server 2] [--batch-size 100] [--db-prefix rbbench_]
        [--reuse-source] [--keep]

Source database: the one of bench_recurring_workers.py (France, EUR, French
chart, 20 % VAT, an auto-posted monthly template, N subscriptions confirmed
and due today, 79.20 EUR each), with OCA ``queue_job`` installed too, in
``<prefix>servers_src``.

For each server count S, on a fresh copy ``<prefix>servers_<S>`` of it:

- S servers ``python3 -m odoo`` (threaded, ``--workers=0``, no cron thread,
  ``--load=base,web,queue_job``), each with ``queue_job``'s job runner. The
  runners share one database: ``queue_job`` lets one of them dispatch (its
  master lock), the others wait to take over. The dispatching runner sends
  each job to a round-robin proxy started by this script (fewest jobs
  running first), in front of the S servers, as a load balancer would:
  ``ODOO_QUEUE_JOB_HOST``/``ODOO_QUEUE_JOB_PORT`` point to it, and
  ``ODOO_QUEUE_JOB_CHANNELS=root:J,root.recurring_billing:J`` with
  J = S x ``--jobs-per-server``.
- Once every server answers, the recurring-invoicing cron runs once (with
  ``recurring_billing.use_queue_job`` set): it enqueues one job per batch.
  Timed from there until every invoice is posted (polled every 0.5 s on
  one connection).
- Checked: N posted invoices of 79.20, one per subscription, no duplicate
  number, no draft, no gap in the numbers of a journal and prefix, numbers
  following invoice dates, nothing due, no subscription flagged, no failed
  job, no ERROR line in the servers' logs.
- Serial fraction: each batch logs its time and the part spent in the
  numbering turn (``Recurring invoicing: ... of it in the numbering turn``);
  the sums over all batches give the fraction of the job's work that only
  one worker at a time can do, and Amdahl's law what 4 and 8 workers could
  at best gain from it.
- Printed too: the requests the proxy sent to each server (one per job run:
  batches, posting jobs, retries), the load average at the start, and the
  CPU seconds of the timed section used by the Odoo servers and by the rest
  of the machine (PostgreSQL, mostly).

Sending (PDF, email) is not measured: there is no cron thread, so Odoo's
sending job does not run. The servers' logs are kept in /tmp when a check fails.
Only databases whose name starts with
``--db-prefix`` are created and dropped.
"""

import argparse
import http.client
import os
import re
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_recurring_invoicing as base  # noqa: E402
import bench_recurring_workers as workers  # noqa: E402

HERE = Path(__file__).resolve()
TURN_LINE = re.compile(
    r"Recurring invoicing: (\d+) invoices in ([\d.]+)s, ([\d.]+)s of it in the "
    r"numbering turn"
)


def log(msg):
    print(f"[servers {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ======================================================================
# The load balancer in front of the servers
# ======================================================================


class Balancer(ThreadingHTTPServer):
    """Forwards each request to the server running the fewest."""

    daemon_threads = True

    def __init__(self, ports):
        self.running = dict.fromkeys(ports, 0)
        self.sent = dict.fromkeys(ports, 0)
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", free_port()), BalancerHandler)

    def pick(self):
        with self.lock:
            port = min(self.running, key=lambda p: (self.running[p], self.sent[p]))
            self.running[port] += 1
            self.sent[port] += 1
            return port

    def release(self, port):
        with self.lock:
            self.running[port] -= 1


class BalancerHandler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        port = self.server.pick()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
            conn.request("GET", self.path, headers={"Host": self.headers["Host"]})
            response = conn.getresponse()
            body = response.read()
            conn.close()
        finally:
            self.server.release(port)
        try:
            self.send_response(response.status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the job runner does not wait for the answer

    def log_message(self, *args):
        pass


# ======================================================================
# Orchestrator
# ======================================================================


def start_server(args, db, port, balancer_port, jobs, logfile):
    odoo = base.odoo_dir()
    env = base.pg_env()
    env.update(
        ODOO_QUEUE_JOB_CHANNELS=f"root:{jobs},root.recurring_billing:{jobs}",
        ODOO_QUEUE_JOB_HOST="127.0.0.1",
        ODOO_QUEUE_JOB_PORT=str(balancer_port),
    )
    cmd = [
        sys.executable,
        "-m",
        "odoo",
        "-d",
        db,
        f"--db-filter=^{db}$",
        "--db_host",
        base.DB_HOST,
        "--db_port",
        base.DB_PORT,
        "--db_user",
        base.DB_USER,
        "--addons-path",
        base.addons_path(odoo),
        "--load=base,web,queue_job",
        "--workers=0",
        "--max-cron-threads=0",
        "--http-interface=127.0.0.1",
        f"--http-port={port}",
        "--gevent-port",
        str(free_port()),
        "--log-level=warn",
        "--log-handler=odoo.addons.recurring_billing.models.recurring_invoicing:INFO",
        "--log-handler=odoo.addons.queue_job.jobrunner.runner:INFO",
    ]
    out = open(logfile, "w")  # noqa: SIM115 - closed by the caller
    return subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT), out


def wait_ready(ports, procs, timeout=300):
    deadline = time.time() + timeout
    for port in ports:
        while True:
            if any(proc.poll() is not None for proc, _out in procs):
                sys.exit("a server stopped while starting")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/web/webclient/version_info")
                conn.getresponse().read()
                conn.close()
                break
            except OSError:
                if time.time() > deadline:
                    sys.exit(f"server on port {port} not ready")
                time.sleep(0.5)


def progress(conn):
    """Invoices posted and in draft, and failed jobs, read on ``conn``: one
    connection for the whole run, as a process and a connection for each
    reading would take the cores the servers are timed on."""
    with conn.cursor() as cr:
        cr.execute(
            "SELECT count(*) FILTER (WHERE state = 'posted'), "
            "count(*) FILTER (WHERE state = 'draft') "
            "FROM account_move WHERE move_type = 'out_invoice'"
        )
        posted, draft = cr.fetchone()
        cr.execute("SELECT count(*) FROM queue_job WHERE state = 'failed'")
        (failed,) = cr.fetchone()
    return posted, draft, failed


def numbering_check(db):
    """Duplicates, drafts and gaps of the invoice numbers."""
    row = base.psql(
        "SELECT count(*) - count(DISTINCT name), "
        "count(*) FILTER (WHERE state = 'draft') "
        "FROM account_move WHERE move_type = 'out_invoice'",
        db,
    )
    duplicates, drafts = (int(x) for x in row.split("|"))
    gaps = int(
        base.psql(
            "SELECT coalesce(sum(max_n - min_n + 1 - n), 0) FROM ("
            "SELECT max(sequence_number) AS max_n, min(sequence_number) AS min_n, "
            "count(*) AS n FROM account_move "
            "WHERE move_type = 'out_invoice' AND state = 'posted' "
            "GROUP BY journal_id, sequence_prefix) x",
            db,
        )
    )
    return {"duplicates": duplicates, "drafts": drafts, "gaps": gaps}


def run_servers(args, src, count):
    db = f"{base.DB_PREFIX}servers_{count}"
    base.dropdb(db)
    base.createdb(db, template=src)
    base.psql(
        "INSERT INTO ir_config_parameter (key, value) VALUES "
        "('recurring_billing.use_queue_job', 'True')",
        db,
    )
    base.psql("CHECKPOINT", db)
    ports = [free_port() for _i in range(count)]
    balancer = Balancer(ports)
    threading.Thread(target=balancer.serve_forever, daemon=True).start()
    logs = [Path(f"/tmp/{db}_server{i}.log") for i in range(count)]
    procs = [
        start_server(
            args,
            db,
            port,
            balancer.server_address[1],
            count * args.jobs_per_server,
            logfile,
        )
        for port, logfile in zip(ports, logs, strict=True)
    ]
    try:
        wait_ready(ports, procs)
        load = os.getloadavg()
        pids = [proc.pid for proc, _out in procs]
        cpu_start = cpu_seconds(pids)
        # The cron, once: it enqueues one job per batch. Timed from its start.
        start = base.run_worker(args, "trigger", db)["start"]
        timed_out = False
        conn = psycopg2.connect(
            host=base.DB_HOST, port=base.DB_PORT, user=base.DB_USER, dbname=db
        )
        conn.autocommit = True
        try:
            while True:
                posted, draft, failed = progress(conn)
                if posted >= args.n or failed:  # a failed job: no more to wait for
                    break
                if time.time() - start > args.timeout:
                    timed_out = True
                    break
                time.sleep(0.5)
        finally:
            conn.close()
        seconds = time.time() - start
        cpu_end = cpu_seconds(pids)
    finally:
        for proc, _out in procs:
            proc.terminate()
        for proc, out in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            out.close()
        balancer.shutdown()
        balancer.server_close()
    check = workers.collect(*workers.spawn(args, "check", db))["errors"]
    numbering = numbering_check(db)
    if failed:
        check.append(f"{failed} failed jobs")
    if timed_out:
        check.append(f"timed out after {args.timeout}s: {posted} posted")
    batch_s = turn_s = 0.0
    batches = errors = 0
    for logfile in logs:
        for line in logfile.read_text(errors="replace").splitlines():
            match = TURN_LINE.search(line)
            if match:
                batches += 1
                batch_s += float(match[2])
                turn_s += float(match[3])
            elif " ERROR " in line or " CRITICAL " in line:
                errors += 1
                print("   server log:", line[:300])
    if not args.keep:
        base.dropdb(db)
        if not (check or errors):
            for logfile in logs:
                logfile.unlink()
    return {
        "servers": count,
        "jobs": count * args.jobs_per_server,
        "seconds": seconds,
        "rate": args.n / seconds,
        "load": load,
        "sent": list(balancer.sent.values()),
        "batches": batches,
        "serial": turn_s / batch_s if batch_s else 0.0,
        # CPU seconds of the timed section: the Odoo servers, and the rest of
        # the machine (PostgreSQL, mostly; this script and the proxy too).
        "cpu_servers": cpu_end[1] - cpu_start[1],
        "cpu_other": (cpu_end[0] - cpu_start[0]) - (cpu_end[1] - cpu_start[1]),
        "errors_logged": errors,
        "check": check,
        **numbering,
    }


def cpu_seconds(pids=()):
    """CPU time, in seconds, used by the whole machine (all cores, from
    /proc/stat) and by the processes ``pids`` (user + system)."""
    tick = os.sysconf("SC_CLK_TCK")
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    idle = int(fields[3]) + int(fields[4])  # idle + iowait
    machine = (sum(int(value) for value in fields[:8]) - idle) / tick
    used = 0
    for pid in pids:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        used += int(stat[11]) + int(stat[12])  # utime, stime
    return machine, used / tick


def amdahl(serial, workers_count):
    return 1 / (serial + (1 - serial) / workers_count)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--servers", default="1,2")
    parser.add_argument("--jobs-per-server", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--db-prefix", default=base.DB_PREFIX)
    parser.add_argument("--timeout", type=int, default=3600)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse-source", action="store_true")
    parser.add_argument("--reuse-template", action="store_true")
    parser.add_argument("--_worker", help=argparse.SUPPRESS)
    parser.add_argument("--_db", help=argparse.SUPPRESS)
    parser.add_argument("--_method", help=argparse.SUPPRESS)
    parser.add_argument("--_n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--_result", help=argparse.SUPPRESS)
    args = parser.parse_args()
    base.DB_PREFIX = args.db_prefix
    base.TPL_DB = args.db_prefix + "servers_tpl"
    base.INSTALL_MODULES = "recurring_billing,queue_job"
    # Options the helpers of the other two benchmarks read.
    args.profile = False
    args.repeat = 1
    if args._worker:
        return worker_main(args)
    args.tag = ""
    base.HERE = HERE  # their run_worker starts this script

    wall = time.perf_counter()
    odoo = base.odoo_dir()
    src = f"{args.db_prefix}servers_src"
    log(f"machine: {base.machine_info()}; os.cpu_count() = {os.cpu_count()}")
    if not (args.reuse_source and base.db_exists(src)):
        workers.prepare_source(args, odoo, src)
    rows = []
    for count in [int(s) for s in args.servers.split(",")]:
        row = run_servers(args, src, count)
        log(
            f"{count} server(s): {row['seconds']:.1f}s, {row['rate']:.2f} "
            f"invoices/s, serial fraction {row['serial']:.3f}, "
            + ("check OK" if not row["check"] else f"CHECK FAILED {row['check']}")
        )
        rows.append(row)
    if not args.keep:
        base.dropdb(src)
    print()
    print(
        f"Recurring invoicing on Odoo servers through queue_job, N = {args.n}, "
        f"batch size {args.batch_size}, {args.jobs_per_server} jobs per server; "
        f"os.cpu_count() = {os.cpu_count()} ({base.machine_info()})"
    )
    print()
    print(
        "| servers | jobs at once | seconds until all posted | invoices/s "
        "| speed-up | requests per server | serial fraction | duplicates | drafts "
        "| gaps | ERROR lines | load (1, 5, 15 min) | CPU s: Odoo servers, rest "
        "| check |"
    )
    print("|" + " --- |" * 14)
    first = rows[0]["rate"]
    for row in rows:
        print(
            f"| {row['servers']} | {row['jobs']} | {row['seconds']:.1f} | "
            f"{row['rate']:.2f} | {row['rate'] / first:.2f} | "
            f"{', '.join(map(str, row['sent']))} | {row['serial']:.3f} | "
            f"{row['duplicates']} | {row['drafts']} | {row['gaps']} | "
            f"{row['errors_logged']} | "
            f"{', '.join(f'{x:.1f}' for x in row['load'])} | "
            f"{row['cpu_servers']:.0f}, {row['cpu_other']:.0f} | "
            f"{'OK' if not row['check'] else '; '.join(row['check'])} |"
        )
    serial = rows[0]["serial"]
    print(
        f"\nSerial fraction {serial:.3f} (one server): by Amdahl's law at most "
        + ", ".join(f"{w} workers x{amdahl(serial, w):.2f}" for w in (2, 4, 8))
        + " when each worker has a core of its own."
    )
    print(f"\ntotal wall time {time.perf_counter() - wall:.0f}s")
    return 1 if any(r["check"] or r["errors_logged"] for r in rows) else 0


# ======================================================================
# Workers (Odoo in-process)
# ======================================================================


def worker_main(args):
    if args._worker != "trigger":
        return base.worker_main(args)
    import json

    env = base._odoo_env(args._db)
    start = time.time()
    try:
        env["recurring.invoicing"]._cron_recurring_invoice(batch_size=args.batch_size)
        jobs = env["queue.job"].search_count([])
        env.cr.commit()
    finally:
        env.cr.close()
    Path(args._result).write_text(json.dumps({"jobs": jobs, "start": start}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
