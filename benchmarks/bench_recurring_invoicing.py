#!/usr/bin/env python3
# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Benchmark: recurring invoicing of N monthly subscriptions, three ways.

    python3 benchmarks/bench_recurring_invoicing.py --n 1000 [--n 10000] [--keep]

For each N, on a fresh copy of one template database (French company, French
chart of accounts, 20 % VAT, two subscription products, N customers), create N
identical monthly subscriptions due today (1 x 30.00 + 3 x 12.00, 20 % VAT:
79.20 EUR each) and time ONLY the creation and posting of their N invoices:

  bare      plain Odoo: account.move.create(vals) + action_post(), one invoice
            at a time, committing every 100 invoices;
  ours      recurring_billing: recurring.invoicing._cron_recurring_invoice(
            batch_size=100)
            called until nothing is due, committing after each call (as the
            Odoo cron framework does);
  contract  OCA contract 18.0: contract.contract.cron_recurring_create_invoice()
            (one transaction, as its cron), then action_post() of the draft
            invoices it made, 100 at a time with a commit after each batch
            (OCA contract 18.0 has no auto-post option);
  bare_batch (optional, not in the default set) plain Odoo with batched
            account.move.create([100 vals]) + action_post() on the 100.

Each phase runs in its own Python process (in-process Odoo API, single
process, log level warn), so that the peak RSS reported is that of the timed
process only. SMTP delivery is stubbed out in every process (mails are still
rendered and queued exactly as in production; nothing leaves the machine).
No tracking_disable or other context is added to the measured calls.

Options: --methods bare,ours,contract[,bare_batch]  --batch-size 100
         --repeat R (R interleaved runs per method, median reported)
         --profile (cProfile of the timed section: top functions printed)
         --reuse-template (keep an existing rbbench_tpl if it has enough
         customers)  --keep (do not drop the rbbench_* databases)
         --reuse-prepared (prepare once per method and N, copy for each run)
         --db-prefix P (databases P* instead of rbbench_*, so that two runs
         on one server do not meet).
Only databases named rbbench_* (or P*) are created or dropped.
"""

import argparse
import datetime
import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()
ROOT = HERE.parents[1]
DB_HOST = os.environ.get("PGHOST", "127.0.0.1")
DB_PORT = os.environ.get("PGPORT", "5432")
DB_USER = os.environ.get("PGUSER", "root")
DB_PREFIX = "rbbench_"
TPL_DB = DB_PREFIX + "tpl"
# Run order: ours first, closest to the install of the addon (it is the one
# whose code may change under a long run); the table is shown in ALL_METHODS order.
DEFAULT_METHODS = ["ours", "bare", "contract"]
ALL_METHODS = ["bare", "ours", "contract", "bare_batch"]
INSTALL_MODULES = "recurring_billing,contract"
CONTRACT_REQ = "odoo-addon-contract==18.0.*"
# Packages Odoo 18.0 pins (requirements.txt); pip must not touch them.
ODOO_PINNED = {
    "babel",
    "chardet",
    "cryptography",
    "decorator",
    "docutils",
    "freezegun",
    "geoip2",
    "gevent",
    "greenlet",
    "idna",
    "jinja2",
    "libsass",
    "lxml",
    "lxml-html-clean",
    "markupsafe",
    "num2words",
    "ofxparse",
    "openpyxl",
    "passlib",
    "pillow",
    "polib",
    "psutil",
    "psycopg2",
    "psycopg2-binary",
    "pydot",
    "pyopenssl",
    "pypdf2",
    "pyserial",
    "python-dateutil",
    "python-stdnum",
    "pytz",
    "pyusb",
    "qrcode",
    "reportlab",
    "requests",
    "rjsmin",
    "rl-renderpm",
    "urllib3",
    "vobject",
    "werkzeug",
    "xlrd",
    "xlsxwriter",
    "xlwt",
    "zeep",
    "odoo",
}
UNIT_TOTAL = 79.20  # 1 x 30.00 + 3 x 12.00 = 66.00, + 20 % VAT


# ======================================================================
# Orchestrator (no Odoo import here)
# ======================================================================


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def odoo_dir():
    out = subprocess.run(
        [sys.executable, "-c", "import odoo,os;print(os.path.dirname(odoo.__file__))"],
        check=True,
        capture_output=True,
        text=True,
    )
    return Path(out.stdout.strip())


def pg_env():
    env = dict(os.environ)
    env.update(PGHOST=DB_HOST, PGPORT=DB_PORT, PGUSER=DB_USER)
    return env


def psql(sql, db="postgres"):
    out = subprocess.run(
        ["psql", "-X", "-At", "-d", db, "-c", sql],
        env=pg_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def db_exists(name):
    return bool(psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'"))


def filestore(name):
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from odoo.tools import config; "
            "print(config.filestore(sys.argv[1]))",
            name,
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return Path(out.stdout.strip())


def dropdb(name):
    """Drop an rbbench_* database and its filestore (as Odoo's own drop does)."""
    assert name.startswith(DB_PREFIX), name
    subprocess.run(["dropdb", "--if-exists", name], env=pg_env(), check=True)
    store = filestore(name)
    if store.name == name and store.is_dir():
        shutil.rmtree(store)


def createdb(name, template=None):
    assert name.startswith(DB_PREFIX), name
    cmd = ["createdb", name] + (["-T", template] if template else [])
    subprocess.run(cmd, env=pg_env(), check=True)


def addons_path(odoo):
    return f"{odoo / 'addons'},{ROOT}"


def normalize(name):
    return name.lower().replace("_", "-").replace(".", "-")


def ensure_contract(odoo):
    """Install OCA contract 18.0 from PyPI if needed, without touching the
    packages Odoo pins; check it only depends on Odoo core modules."""
    try:
        version = importlib.metadata.version("odoo-addon-contract")
    except importlib.metadata.PackageNotFoundError:
        version = None
    if version and version.startswith("18.0."):
        log(f"OCA contract already installed: odoo-addon-contract {version}")
    else:
        log(f"pip install --dry-run {CONTRACT_REQ}")
        with tempfile.TemporaryDirectory() as tmp:
            report = Path(tmp) / "report.json"
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "install",
                    "--dry-run",
                    "--quiet",
                    "--report",
                    str(report),
                    CONTRACT_REQ,
                ],
                check=True,
            )
            data = json.loads(report.read_text())
        would = {
            normalize(item["metadata"]["name"]): item["metadata"]["version"]
            for item in data.get("install", [])
        }
        log(f"pip would install: {would}")
        touched = {name for name in would if not name.startswith("odoo-addon-")}
        pinned = touched & ODOO_PINNED
        if touched:
            addons = sorted(name for name in would if name.startswith("odoo-addon-"))
            log(
                f"pip would also change {sorted(touched)} (Odoo-pinned: "
                f"{sorted(pinned)}): installing only {addons} with --no-deps"
            )
            reqs = [
                CONTRACT_REQ
                if name == "odoo-addon-contract"
                else f"{name}=={would[name]}"
                for name in addons
            ]
            cmd = [sys.executable, "-m", "pip", "install", "--no-deps", *reqs]
        else:
            cmd = [sys.executable, "-m", "pip", "install", CONTRACT_REQ]
        log(" ".join(cmd))
        subprocess.run(cmd, check=True)
        version = importlib.metadata.version("odoo-addon-contract")
        log(f"installed odoo-addon-contract {version}")
    # Its dependencies, recursively, must be Odoo core modules: present in
    # Odoo's own addons directory and not provided by an odoo-addon-* wheel.
    addons_dir = odoo / "addons"
    seen, todo, non_core = set(), ["contract"], []
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        manifest = addons_dir / module / "__manifest__.py"
        if not manifest.exists():
            non_core.append(f"{module} (not found)")
            continue
        info = eval(manifest.read_text(), {"__builtins__": {}})  # noqa: S307
        if module != "contract":
            try:
                importlib.metadata.version(f"odoo-addon-{module}")
                non_core.append(module)
            except importlib.metadata.PackageNotFoundError:
                pass
        else:
            log(
                f"contract depends on {info.get('depends')}; external python "
                f"deps: {info.get('external_dependencies') or 'none'}"
            )
        todo.extend(info.get("depends", []))
    if non_core:
        sys.exit(f"contract depends on non-core modules: {non_core}")
    log(f"contract's dependency closure is Odoo core only ({len(seen) - 1} modules)")
    return version


def run_worker(args, phase, db, method="", n=0, extra=()):
    """Run one phase in a fresh python process; return its JSON result."""
    with tempfile.NamedTemporaryFile("r", suffix=".json", delete=False) as tmp:
        result_file = tmp.name
    cmd = [
        sys.executable,
        str(HERE),
        "--_worker",
        phase,
        "--_db",
        db,
        "--_method",
        method,
        "--_n",
        str(n),
        "--_result",
        result_file,
        "--batch-size",
        str(args.batch_size),
        "--db-prefix",
        DB_PREFIX,
        *extra,
    ]
    proc = subprocess.run(cmd, env=pg_env())
    try:
        text = Path(result_file).read_text()
        result = json.loads(text) if text else None
    finally:
        os.unlink(result_file)
    if proc.returncode or result is None:
        sys.exit(f"worker {phase} {method} on {db} failed (exit {proc.returncode})")
    return result


def build_template(args, odoo, n_customers):
    if args.reuse_template and db_exists(TPL_DB):
        try:
            have = int(
                psql(
                    "SELECT value FROM ir_config_parameter "
                    "WHERE key = 'rbbench.n_customers'",
                    TPL_DB,
                )
                or 0
            )
        except subprocess.CalledProcessError:
            have = 0
        if have >= n_customers:
            log(f"reusing {TPL_DB} ({have} customers)")
            return
    dropdb(TPL_DB)
    createdb(TPL_DB)
    log(f"installing {INSTALL_MODULES} in {TPL_DB} (without demo data)")
    start = time.perf_counter()
    cmd = [
        "odoo",
        "-d",
        TPL_DB,
        "--db_host",
        DB_HOST,
        "--db_port",
        DB_PORT,
        "--db_user",
        DB_USER,
        "--addons-path",
        addons_path(odoo),
        "-i",
        INSTALL_MODULES,
        "--without-demo=all",
        "--stop-after-init",
        "--log-level=warn",
        "--workers=0",
        "--max-cron-threads=0",
    ]
    proc = subprocess.run(cmd, env=pg_env(), capture_output=True, text=True)
    problems = [
        line
        for line in proc.stderr.splitlines()
        if " WARNING " in line or " ERROR " in line or " CRITICAL " in line
    ]
    for line in problems[:20]:
        print("   install log:", line[:300])
    if proc.returncode:
        print(proc.stderr[-5000:])
        sys.exit(f"odoo -i {INSTALL_MODULES} failed (exit {proc.returncode})")
    log(
        f"installed in {time.perf_counter() - start:.0f}s "
        f"({len(problems)} warning/error log lines)"
    )
    start = time.perf_counter()
    result = run_worker(args, "template", TPL_DB, n=n_customers)
    log(f"template data ready in {time.perf_counter() - start:.0f}s: {result}")


def run_method(args, method, n, rep, created):
    """One measurement: fresh copy of the template, prepare, time, check."""
    db = f"{DB_PREFIX}{method}_{n}"
    if db not in created:
        created.append(db)
    dropdb(db)
    tag = f"{method} N={n}" + (f" run {rep}/{args.repeat}" if args.repeat > 1 else "")
    if args.reuse_prepared:
        # Prepared once per method and N, copied for every run.
        src = f"{DB_PREFIX}prepared_{method}_{n}"
        if src not in created:
            created.append(src)
        if not db_exists(src):
            createdb(src, template=TPL_DB)
            start = time.perf_counter()
            prep = run_worker(args, "prepare", src, method, n)
            log(f"{tag}: prepared {src} in {time.perf_counter() - start:.0f}s {prep}")
        createdb(db, template=src)
    else:
        createdb(db, template=TPL_DB)
        start = time.perf_counter()
        prep = run_worker(args, "prepare", db, method, n)
        log(f"{tag}: prepared in {time.perf_counter() - start:.0f}s {prep}")
    # Same starting state for every method: fresh planner statistics (as
    # autovacuum would have them in production) and no dirty buffers left
    # from the preparation to be written during the timed section.
    psql("VACUUM ANALYZE", db)
    psql("CHECKPOINT", db)
    extra = ["--profile"] if args.profile else []
    row = run_worker(args, "run", db, method, n, extra)
    log(
        f"{tag}: {row['seconds']:.1f}s, {row['rate']:.2f} invoices/s, peak RSS "
        f"{row['rss_peak_mib']:.0f} MiB, {row['queries_per_invoice']:.1f} queries "
        f"per invoice, mails queued {row['mails_created']}, "
        + ("check OK" if not row["errors"] else f"CHECK FAILED: {row['errors']}")
    )
    if not args.keep:
        dropdb(db)
    return row


def aggregate(rows):
    """One row per (N, method): median time of its runs (all runs if 1)."""
    groups = {}
    for row in rows:
        groups.setdefault((row["n"], row["method"]), []).append(row)
    out = []
    for (n, method), runs in groups.items():
        times = sorted(r["seconds"] for r in runs)
        mid = len(times) // 2
        median = times[mid] if len(times) % 2 else (times[mid - 1] + times[mid]) / 2
        out.append(
            {
                "method": method,
                "n": n,
                "seconds": median,
                "rate": n / median if median else 0.0,
                "rss_peak_mib": max(r["rss_peak_mib"] for r in runs),
                "rss_start_mib": max(r["rss_start_mib"] for r in runs),
                "queries_per_invoice": max(r["queries_per_invoice"] for r in runs),
                "errors": [e for r in runs for e in r["errors"]],
                "note": runs[0]["note"],
                "runs": [round(t, 1) for t in (r["seconds"] for r in runs)],
            }
        )
    out.sort(key=lambda r: (r["n"], ALL_METHODS.index(r["method"])))
    return out


def fmt_table(rows):
    headers = [
        "method",
        "N",
        "seconds",
        "invoices/s",
        "peak RSS MiB",
        "RSS at start MiB",
        "queries/invoice",
        "ratio vs bare",
        "ratio vs contract",
        "check",
    ]
    lines = []
    for row in rows:
        bare = next(
            (r for r in rows if r["method"] == "bare" and r["n"] == row["n"]), None
        )
        ratio = f"{row['rate'] / bare['rate']:.2f}" if bare and bare["rate"] else "-"
        contract = next(
            (r for r in rows if r["method"] == "contract" and r["n"] == row["n"]),
            None,
        )
        vs_contract = (
            f"{row['rate'] / contract['rate']:.2f}"
            if contract and contract["rate"]
            else "-"
        )
        lines.append(
            [
                row["method"],
                str(row["n"]),
                f"{row['seconds']:.1f}",
                f"{row['rate']:.2f}",
                f"{row['rss_peak_mib']:.0f}",
                f"{row['rss_start_mib']:.0f}",
                f"{row['queries_per_invoice']:.1f}",
                ratio,
                vs_contract,
                "OK" if not row["errors"] else "FAIL",
            ]
        )
    widths = [
        max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(headers)
    ]
    out = [
        "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=False)),
        "  ".join("-" * w for w in widths),
    ]
    for line in lines:
        out.append(
            "  ".join(
                cell.ljust(w) if i == 0 else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(line, widths, strict=False))
            )
        )
    return "\n".join(out)


def machine_info():
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        pg = psql("SHOW server_version")
    except subprocess.CalledProcessError:
        pg = "?"
    return (
        f"{os.cpu_count()} cores ({cpu or platform.processor()}), "
        f"Python {platform.python_version()}, PostgreSQL {pg}"
    )


def main():
    global DB_PREFIX, TPL_DB  # noqa: PLW0603 - one run, one prefix
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--n",
        type=int,
        action="append",
        help="number of subscriptions (repeatable; default 1000)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the rbbench_* databases"
    )
    parser.add_argument(
        "--methods",
        default=",".join(DEFAULT_METHODS),
        help=f"comma-separated, among {','.join(ALL_METHODS)}",
    )
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="measure each method R times, interleaved; report the median",
    )
    parser.add_argument(
        "--profile", action="store_true", help="profile the timed section with cProfile"
    )
    parser.add_argument(
        "--reuse-template",
        action="store_true",
        help=f"reuse an existing {TPL_DB} with enough customers",
    )
    parser.add_argument(
        "--reuse-prepared",
        action="store_true",
        help="prepare the subscriptions or contracts once per method and N "
        "(database <prefix>prepared_<method>_<N>, kept with --keep) and time "
        "each run on a fresh copy of it",
    )
    parser.add_argument(
        "--db-prefix",
        default=DB_PREFIX,
        help="prefix of the databases created and dropped (default %(default)s)",
    )
    # Internal: worker processes.
    parser.add_argument("--_worker", help=argparse.SUPPRESS)
    parser.add_argument("--_db", help=argparse.SUPPRESS)
    parser.add_argument("--_method", default="", help=argparse.SUPPRESS)
    parser.add_argument("--_n", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--_result", help=argparse.SUPPRESS)
    args = parser.parse_args()
    DB_PREFIX = args.db_prefix
    TPL_DB = DB_PREFIX + "tpl"
    if args._worker:
        return worker_main(args)

    ns = args.n or [1000]
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = set(methods) - set(ALL_METHODS)
    if unknown:
        parser.error(f"unknown methods {sorted(unknown)}")
    for tool in ("odoo", "psql", "createdb", "dropdb"):
        if not shutil.which(tool):
            sys.exit(f"{tool} not found on PATH")

    wall = time.perf_counter()
    odoo = odoo_dir()
    started = datetime.datetime.now().astimezone()
    log(f"machine: {machine_info()}")
    log(f"Odoo: {odoo}")
    contract_version = ensure_contract(odoo)
    created = [TPL_DB]
    rows = []
    try:
        build_template(args, odoo, max(ns))
        for n in ns:
            for rep in range(1, args.repeat + 1):
                for method in methods:
                    rows.append(run_method(args, method, n, rep, created))
    finally:
        if not args.keep:
            for db in created:
                dropdb(db)
    print()
    print(
        f"Recurring invoicing benchmark, {started:%Y-%m-%d %H:%M %Z}, {machine_info()}"
    )
    print(
        f"Odoo 18.0, odoo-addon-contract {contract_version}, batch size "
        f"{args.batch_size}, log level warn, single process"
        + (", UNDER cProfile (timings inflated)" if args.profile else "")
    )
    print()
    if args.repeat > 1:
        print(
            f"seconds = median of {args.repeat} interleaved runs "
            "(each on a fresh copy of the template)"
        )
    rows = aggregate(rows)
    print(fmt_table(rows))
    if args.repeat > 1:
        for r in rows:
            print(f"runs {r['method']} N={r['n']}: {r['runs']} s")
    failures = [r for r in rows if r["errors"]]
    for r in failures:
        print(f"FAIL {r['method']} N={r['n']}: {r['errors']}")
    for r in rows:
        if r.get("note"):
            print(f"note {r['method']}: {r['note']}")
    print(f"\ntotal wall time {time.perf_counter() - wall:.0f}s")
    return 1 if failures else 0


# ======================================================================
# Workers (Odoo in-process)
# ======================================================================

SMTP_CALLS = {"connect": 0, "send_email": 0}


class _FakeSMTP:
    def quit(self):
        pass

    def close(self):
        pass


def _stub_smtp(registry):
    """Mails are rendered and queued as in production, but never leave."""
    cls = registry["ir.mail_server"]  # the registry's model class

    def connect(self, *args, **kwargs):
        SMTP_CALLS["connect"] += 1
        return _FakeSMTP()

    def send_email(self, message, *args, **kwargs):
        SMTP_CALLS["send_email"] += 1
        return message["Message-Id"]

    cls.connect = connect
    cls.send_email = send_email


def _maxrss_mib():
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _odoo_env(db):
    import odoo
    from odoo import SUPERUSER_ID, api

    odoo.tools.config.parse_config(
        [
            "-d",
            db,
            "--db_host",
            DB_HOST,
            "--db_port",
            DB_PORT,
            "--db_user",
            DB_USER,
            "--addons-path",
            addons_path(odoo_dir_inproc()),
            "--log-level=warn",
            "--workers=0",
            "--max-cron-threads=0",
        ],
        setup_logging=True,
    )
    registry = odoo.modules.registry.Registry(db)
    assert registry.ready and registry.loaded, "registry not fully loaded"
    _stub_smtp(registry)
    cr = registry.cursor()
    return api.Environment(cr, SUPERUSER_ID, {})


def odoo_dir_inproc():
    import odoo

    return Path(odoo.__file__).resolve().parent


def _params(env):
    return json.loads(env["ir.config_parameter"].get_param("rbbench.data"))


def worker_main(args):
    env = _odoo_env(args._db)
    try:
        phase = args._worker
        if phase == "template":
            result = w_template(env, args._n)
        elif phase == "prepare":
            result = w_prepare(env, args._method, args._n, args.batch_size)
        elif phase == "run":
            result = w_run(env, args._method, args._n, args.batch_size, args.profile)
        else:
            raise ValueError(phase)
        env.cr.commit()
    finally:
        env.cr.close()
    Path(args._result).write_text(json.dumps(result))
    return 0


def w_template(env, n_customers):
    from odoo import Command

    company = env.ref("base.main_company")
    eur = env.ref("base.EUR")
    eur.active = True
    company.write({"country_id": env.ref("base.fr").id, "currency_id": eur.id})
    env["account.chart.template"].try_loading("fr", company, install_demo=False)
    env.cr.commit()
    env = env(context={})  # fresh caches after the chart loading
    company = env.ref("base.main_company")
    tax = company.account_sale_tax_id
    assert company.chart_template == "fr", company.chart_template
    assert company.currency_id.name == "EUR", company.currency_id.name
    assert (
        tax
        and tax.amount == 20.0
        and tax.amount_type == "percent"
        and not (tax.price_include)
    ), (tax.name, tax.amount, tax.price_include)
    # Pricelists made while the company was still in USD.
    pricelists = env["product.pricelist"].with_context(active_test=False).search([])
    pricelists.filtered(lambda p: p.currency_id != eur).write({"currency_id": eur.id})
    product_vals = {
        "type": "service",
        "invoice_policy": "order",
        "recurring_invoice": True,
        "taxes_id": [Command.set(tax.ids)],
    }
    cloud = env["product.product"].create(
        {**product_vals, "name": "Cloud hosting", "list_price": 30.0}
    )
    seat = env["product.product"].create(
        {**product_vals, "name": "User seat", "list_price": 12.0}
    )
    plan = env.ref("recurring_billing.plan_monthly")
    template = env["sale.order.template"].create(
        {
            "name": "Cloud monthly (benchmark)",
            "plan_id": plan.id,
            "auto_post": True,
            "invoicing_mode": "prepaid",
            "sale_order_template_line_ids": [
                Command.create({"product_id": cloud.id, "product_uom_qty": 1}),
                Command.create({"product_id": seat.id, "product_uom_qty": 3}),
            ],
        }
    )
    fr = env.ref("base.fr").id
    partner_ids = []
    for start in range(0, n_customers, 500):
        partners = env["res.partner"].create(
            [
                {
                    "name": f"Client {i:06d} SARL",
                    "is_company": True,
                    # French company customers need a SIRET (mandatory SIREN).
                    "siret": _siret(i),
                    "email": f"client{i:06d}@example.com",
                    "country_id": fr,
                    "city": "Paris",
                    "zip": "75002",
                    "street": f"{i} rue de la Paix",
                }
                for i in range(start, min(start + 500, n_customers))
            ]
        )
        partner_ids += partners.ids
    data = {
        "company": company.id,
        "tax": tax.id,
        "cloud": cloud.id,
        "seat": seat.id,
        "template": template.id,
        "partners": partner_ids,
    }
    icp = env["ir.config_parameter"]
    icp.set_param("rbbench.data", json.dumps(data))
    icp.set_param("rbbench.n_customers", str(n_customers))
    return {
        "company": company.name,
        "chart": company.chart_template,
        "currency": company.currency_id.name,
        "tax": tax.name,
        "customers": n_customers,
    }


def _siret(i):
    """A valid SIRET (Luhn) for the i-th customer."""
    from stdnum import luhn

    siren = f"9{i:07d}"
    siren += luhn.calc_check_digit(siren)
    nic = "0001"
    return siren + nic + luhn.calc_check_digit(siren + nic)


def _chunks(seq, size):
    for i in range(0, len(seq), size):
        yield seq[i : i + size]


def w_prepare(env, method, n, batch_size):
    from odoo import Command, fields

    data = _params(env)
    partners = data["partners"][:n]
    assert len(partners) == n, "template has too few customers"
    today = fields.Date.context_today(env["res.partner"])
    if method == "ours":
        for chunk in _chunks(partners, batch_size):
            orders = env["sale.order"].create(
                [
                    {
                        "partner_id": pid,
                        "sale_order_template_id": data["template"],
                        "subscription_start_date": today,
                        "order_line": [
                            Command.create(
                                {"product_id": data["cloud"], "product_uom_qty": 1}
                            ),
                            Command.create(
                                {"product_id": data["seat"], "product_uom_qty": 3}
                            ),
                        ],
                    }
                    for pid in chunk
                ]
            )
            orders.action_confirm()
            env.cr.commit()
        SO = env["sale.order"]
        due = SO.search_count(SO._get_subscriptions_to_invoice_domain())
        env.cr.execute(
            "SELECT count(*), count(*) FILTER (WHERE amount_total = %s), "
            "count(*) FILTER (WHERE next_invoice_date = %s AND subscription_state "
            "= 'active') FROM sale_order",
            [UNIT_TOTAL, today],
        )
        count, right_total, due_today = env.cr.fetchone()
        assert count == n and right_total == n and due_today == n and due == n, (
            count,
            right_total,
            due_today,
            due,
        )
        return {"subscriptions": count, "due": due, "mails": _mail_summary(env)}
    if method == "contract":
        cloud = env["product.product"].browse(data["cloud"])
        seat = env["product.product"].browse(data["seat"])
        for chunk in _chunks(partners, batch_size):
            env["contract.contract"].create(
                [
                    {
                        "name": f"Contract {pid}",
                        "partner_id": pid,
                        "contract_type": "sale",
                        "line_recurrence": False,
                        "recurring_rule_type": "monthly",
                        "recurring_interval": 1,
                        "recurring_invoicing_type": "pre-paid",
                        "date_start": today,
                        "contract_line_ids": [
                            Command.create(
                                {
                                    "product_id": cloud.id,
                                    "name": cloud.name,
                                    "quantity": 1,
                                    "price_unit": 30.0,
                                    "uom_id": cloud.uom_id.id,
                                }
                            ),
                            Command.create(
                                {
                                    "product_id": seat.id,
                                    "name": seat.name,
                                    "quantity": 3,
                                    "price_unit": 12.0,
                                    "uom_id": seat.uom_id.id,
                                }
                            ),
                        ],
                    }
                    for pid in chunk
                ]
            )
            env.cr.commit()
        contracts = env["contract.contract"].search([])
        due = env["contract.contract"].search_count(
            env["contract.contract"]._get_contracts_to_invoice_domain(today)
        )
        assert len(contracts) == n and due == n, (len(contracts), due)
        assert all(
            line.recurring_next_date == today for line in contracts.contract_line_ids
        ), "contract lines not due today"
        return {"contracts": len(contracts), "due": due, "mails": _mail_summary(env)}
    return {"invoices to create": n}


def _mail_summary(env):
    env.cr.execute("SELECT state, count(*) FROM mail_mail GROUP BY state")
    return {
        "mail.mail": dict(env.cr.fetchall()),
        "smtp stub sends": SMTP_CALLS["send_email"],
    }


def _bare_vals(data, partner_id, today):
    from odoo import Command

    line = {"tax_ids": [Command.set([data["tax"]])]}
    return {
        "move_type": "out_invoice",
        "partner_id": partner_id,
        "invoice_date": today,
        "invoice_line_ids": [
            Command.create(
                {**line, "product_id": data["cloud"], "quantity": 1, "price_unit": 30.0}
            ),
            Command.create(
                {**line, "product_id": data["seat"], "quantity": 3, "price_unit": 12.0}
            ),
        ],
    }


def w_run(env, method, n, batch_size, profile):  # noqa: C901 - one timed section per method
    import gc

    from odoo import fields

    data = _params(env)
    partners = data["partners"][:n]
    today = fields.Date.context_today(env["res.partner"])
    env.cr.execute("SELECT count(*) FROM mail_mail")
    mails_before = env.cr.fetchone()[0]
    smtp_before = SMTP_CALLS["send_email"]
    note = ""
    calls = 0

    def job():
        nonlocal calls, note
        if method == "ours":
            SO = env["sale.order"]
            max_calls = n // batch_size + 10
            while True:
                env["recurring.invoicing"]._cron_recurring_invoice(
                    batch_size=batch_size
                )
                env.cr.commit()
                calls += 1
                if not SO.search_count(SO._get_subscriptions_to_invoice_domain()):
                    break
                if calls > max_calls:
                    raise RuntimeError(f"still work after {calls} calls")
        elif method == "contract":
            env["contract.contract"].cron_recurring_create_invoice()
            env.cr.commit()
            calls += 1
            drafts = env["account.move"].search(
                [("move_type", "=", "out_invoice"), ("state", "=", "draft")],
                order="id",
            )
            for chunk in _chunks(drafts, batch_size):
                chunk.action_post()
                env.cr.commit()
            note = (
                "OCA contract 18.0 has no auto-post: its cron creates drafts, "
                "posted by action_post() in batches inside the timed section"
            )
        elif method == "bare":
            Move = env["account.move"]
            for i, pid in enumerate(partners, 1):
                Move.create(_bare_vals(data, pid, today)).action_post()
                if i % batch_size == 0:
                    env.cr.commit()
            env.cr.commit()
        elif method == "bare_batch":
            Move = env["account.move"]
            for chunk in _chunks(partners, batch_size):
                Move.create(
                    [_bare_vals(data, pid, today) for pid in chunk]
                ).action_post()
                env.cr.commit()
        else:
            raise ValueError(method)

    gc.collect()
    rss_start = _maxrss_mib()
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    from odoo import sql_db

    queries_before = sql_db.sql_counter
    start = time.perf_counter()
    job()
    seconds = time.perf_counter() - start
    queries = sql_db.sql_counter - queries_before
    if profiler:
        profiler.disable()
    rss_peak = _maxrss_mib()
    if profiler:
        import io
        import pstats

        for sort, top in (("cumulative", 15), ("tottime", 15)):
            buf = io.StringIO()
            stats = pstats.Stats(profiler, stream=buf)
            stats.sort_stats(sort).print_stats(top)
            text = buf.getvalue()
            text = text[text.find("   ncalls") :] if "   ncalls" in text else text
            print(
                f"\n===== cProfile {method} N={n}: top {top} by {sort} "
                f"({seconds:.1f}s profiled) =====\n{text}",
                flush=True,
            )
        dump = Path(tempfile.gettempdir()) / f"{DB_PREFIX}{method}_{n}.prof"
        stats.dump_stats(str(dump))
        print(f"(full profile: {dump})", flush=True)

    # ---- correctness checks (not timed) ----
    errors = []
    env.invalidate_all()
    env.cr.execute(
        """
        SELECT count(*),
               count(*) FILTER (WHERE state = 'posted'),
               count(*) FILTER (WHERE amount_total <> %s),
               count(*) FILTER (WHERE amount_untaxed <> 66.00 OR amount_tax <> 13.20),
               coalesce(sum(amount_total), 0),
               count(DISTINCT partner_id),
               count(*) FILTER (WHERE currency_id <> %s)
          FROM account_move
         WHERE move_type = 'out_invoice'
        """,
        [UNIT_TOTAL, env.ref("base.EUR").id],
    )
    count, posted, bad_total, bad_split, total, partners_n, bad_currency = (
        env.cr.fetchone()
    )
    env.cr.execute(
        """
        SELECT count(*) FROM (
            SELECT l.move_id FROM account_move_line l
              JOIN account_move m ON m.id = l.move_id
             WHERE m.move_type = 'out_invoice' AND l.display_type = 'product'
             GROUP BY l.move_id HAVING count(*) <> 2) x
        """
    )
    bad_lines = env.cr.fetchone()[0]
    expected_total = round(n * UNIT_TOTAL, 2)
    if count != n:
        errors.append(f"{count} invoices instead of {n}")
    if posted != n:
        errors.append(f"{posted} posted invoices instead of {n}")
    if bad_total:
        errors.append(f"{bad_total} invoices with amount_total != {UNIT_TOTAL}")
    if bad_split:
        errors.append(f"{bad_split} invoices not 66.00 + 13.20 VAT")
    if round(float(total), 2) != expected_total:
        errors.append(f"total {total} != {expected_total}")
    if partners_n != n:
        errors.append(f"{partners_n} distinct customers instead of {n}")
    if bad_currency:
        errors.append(f"{bad_currency} invoices not in EUR")
    if bad_lines:
        errors.append(f"{bad_lines} invoices without exactly 2 product lines")
    if method == "ours":
        SO = env["sale.order"]
        left = SO.search_count(SO._get_subscriptions_to_invoice_domain())
        flagged = SO.search_count([("recurring_billing_error", "!=", False)])
        if left:
            errors.append(f"{left} subscriptions still due")
        if flagged:
            errors.append(f"{flagged} subscriptions flagged with a billing error")
        env.cr.execute(
            "SELECT count(*) FROM account_move WHERE subscription_id IS NOT NULL"
        )
        linked = env.cr.fetchone()[0]
        if linked != n:
            errors.append(f"{linked} invoices linked to a subscription")
    env.cr.execute("SELECT count(*) FROM mail_mail")
    mails_created = env.cr.fetchone()[0] - mails_before
    if method == "ours":
        env.cr.execute(
            "SELECT count(*) FROM account_move WHERE sending_data IS NOT NULL"
        )
        to_send = env.cr.fetchone()[0]
        if to_send:
            note = (
                f"{to_send} invoices marked for Odoo's invoice-sending job "
                "(account.ir_cron_account_move_send: PDF + email), which "
                "runs later and is not timed"
            )
    return {
        "method": method,
        "n": n,
        "seconds": seconds,
        "rate": n / seconds if seconds else 0.0,
        "rss_start_mib": rss_start,
        "rss_peak_mib": rss_peak,
        "calls": calls,
        "queries": queries,
        "queries_per_invoice": queries / n if n else 0.0,
        "invoices": count,
        "total": float(total),
        "mails_created": mails_created,
        "smtp_sends": SMTP_CALLS["send_email"] - smtp_before,
        "errors": errors,
        "note": note,
    }


if __name__ == "__main__":
    sys.exit(main())
