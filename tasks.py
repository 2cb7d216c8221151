#!/usr/bin/env python3
# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The project's commands.

    python3 tasks.py install-odoo [--source PATH_OR_URL] [--target DIR] [--dry-run]
        Install Odoo 18.0 for this python3, non-editable, with its standard
        addons inside the package: clone the 18.0 branch of the upstream git
        repository (shallow) into --target (default ~/odoo-18.0), or use the
        Odoo 18.0 source directory given as --source; install the Debian build
        packages when root, Odoo's requirements, then Odoo itself from a
        temporary copy of the source. Nothing is written in this repository.
        --dry-run prints the commands without running any.

    python3 tasks.py demo [--db NAME] [--no-serve] [--port 8069]
        Install the Python dependencies, create a demo database with the three
        addons, their demo data (a French SaaS company and its subscribers)
        and Odoo's demo payment provider, log admin into the demo company,
        live the company's last 18 months day by day (setup/demo_history.py:
        subscriptions started, changed, paused and cancelled, invoices on
        their own dates, card payments, transfers, dunning), print a summary
        and serve the Odoo web client on http://localhost:8069.

    python3 tasks.py test [--db NAME] [--jobs N] [pytest arguments...]
        Create a fresh database, install the three addons (and Odoo's demo
        payment provider, payment_demo, for the portal's card tour), check the
        install log is free of errors and warnings, and run every test with
        pytest-odoo, in N processes (default: one per core, at most 4) on
        copies of that database, with an HTTP server for the portal tests and
        the browser tours (Chromium). Exits non-zero on any failure.

    python3 tasks.py readme [--check]
        Generate each addon's README.rst from its readme/ fragments.

demo and test need Odoo 18.0 importable by this python3 (they offer to run
install-odoo when it is not) and a PostgreSQL server.
"""

import argparse
import collections
import contextlib
import functools
import getpass
import importlib.metadata
import importlib.util
import logging
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
ADDONS = ["recurring_billing", "recurring_billing_stripe", "recurring_billing_dunning"]
# Python packages the addons and their tests need beside Odoo's own, as
# (import name, pip requirement).
PYTHON_DEPS = [
    ("stripe", "stripe>=8,<17"),
    ("facturx", "factur-x>=3.1"),
    ("saxonche", "saxonche>=13.1"),
    # Odoo's PDF/A conversion sets the fonts' glyph widths with it.
    ("fontTools", "fonttools>=4.37.2"),
    ("pytest_odoo", "pytest-odoo>=2.1"),
    # Runs the test files in several processes, each on its own copy of the
    # test database (pytest-odoo makes and drops the copies).
    ("xdist", "pytest-xdist>=3.5"),
    ("freezegun", "freezegun"),
    ("hypothesis", "hypothesis"),
    ("whool", "whool"),
    # Odoo drives Chromium through it for the browser tours (HttpCase).
    ("websocket", "websocket-client"),
    # OCA addons the manifests depend on, as wheels beside Odoo.
    (
        "odoo.addons.account_invoice_start_end_dates",
        "odoo-addon-account_invoice_start_end_dates>=18.0,<18.1",
    ),
    # OCA queue_job, installed in the test database so that the tests of the
    # distributed billing run: its last 18.0 release that runs on Odoo 18.0
    # as released (the later ones use api.private, added to 18.0 afterwards).
    ("odoo.addons.queue_job", "odoo-addon-queue_job==18.0.1.7.0.1"),
]
# Odoo modules the test database installs beside the addons: Odoo's demo
# payment provider (tokenisation and validation without any network), with
# which the portal's browser tour saves a new card through Odoo's payment form;
# OCA queue_job, for the tests of the billing jobs it runs.
TEST_MODULES = ["payment_demo", "queue_job"]
# The demo's subscribers pay by card through the same demo provider.
DEMO_MODULES = ["payment_demo"]
DB_HOST = os.environ.get("PGHOST", "127.0.0.1")
DB_PORT = os.environ.get("PGPORT", "5432")
DB_USER = os.environ.get("PGUSER") or getpass.getuser()
LOG_PROBLEM = re.compile(r"^\S+ \S+ \d+ (WARNING|ERROR|CRITICAL) ", re.MULTILINE)

ODOO_MISSING = """\
Odoo 18.0 cannot be imported by {python}.

These addons run on Odoo 18.0 (Community). One command installs it for this
interpreter: it clones the 18.0 branch of {url}
into {target}, installs its requirements, then Odoo itself, non-editable (so
that addon wheels work beside it) with its standard addons inside the package:

    {python} tasks.py install-odoo

--dry-run prints the commands without running them; --source PATH uses an
Odoo 18.0 source directory you already have. README.rst, 'Install', gives the
same steps by hand. Then run this command again.
"""


def say(message):
    print(f"[tasks] {message}", flush=True)


def fail(message, code=2):
    print(message, file=sys.stderr, flush=True)
    sys.exit(code)


def python_command():
    """How to call this interpreter: python3 when that is the one on PATH."""
    on_path = shutil.which("python3")
    if on_path and os.path.realpath(on_path) == os.path.realpath(sys.executable):
        return "python3"
    return sys.executable


def check_odoo():
    try:
        import odoo.release
    except ImportError:
        print(
            ODOO_MISSING.format(
                python=python_command(),
                url=load_installer().ODOO_GIT_URL,
                target=load_installer().ODOO_TARGET,
            ),
            file=sys.stderr,
            flush=True,
        )
        offer_odoo_install()
        sys.exit(2)
    if odoo.release.version_info[:2] != (18, 0):
        fail(
            f"These addons need Odoo 18.0; this python3 has Odoo "
            f"{odoo.release.version}. `{python_command()} tasks.py install-odoo` "
            "replaces it with 18.0; see README.rst, 'Install'."
        )
    odoo_addons_path()
    return odoo


def offer_odoo_install():
    """Ask whether to install Odoo now, when someone can answer (never in CI);
    on yes, install it and run the same command again."""
    if os.environ.get("CI") or not sys.stdin.isatty():
        return
    try:
        answer = input("Install it now? [y/N] ")
    except EOFError:
        return
    if answer.strip().lower() not in ("y", "yes"):
        return
    load_installer().install_odoo()
    say("running the command again with Odoo installed")
    os.execv(
        sys.executable, [sys.executable, str(Path(__file__).resolve()), *sys.argv[1:]]
    )


@functools.cache
def odoo_addons_path():
    """This repository and Odoo's own addons, computed once: once Odoo's
    configuration is parsed, odoo.addons.__path__ also holds its (possibly
    empty) data-dir folder, which the server refuses as an addons path."""
    import odoo.addons

    return ",".join([str(ROOT)] + list(odoo.addons.__path__))


def _requirement_met(module, requirement):
    """Whether ``module`` is importable and, for a pinned ``requirement``
    (``name==version``), installed at that version."""
    if importlib.util.find_spec(module) is None:
        return False
    if "==" not in requirement:
        return True
    name, version = requirement.split("==", 1)
    try:
        return importlib.metadata.version(name) == version
    except importlib.metadata.PackageNotFoundError:
        return False


def install_python_deps():
    missing = [req for mod, req in PYTHON_DEPS if not _requirement_met(mod, req)]
    if not missing:
        return
    say(f"installing Python dependencies: {' '.join(missing)}")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", *missing], check=True)


def ensure_postgresql():
    import psycopg2

    def reachable():
        try:
            psycopg2.connect(
                host=DB_HOST, port=DB_PORT, user=DB_USER, dbname="postgres"
            ).close()
            return True
        except psycopg2.OperationalError:
            return False

    if reachable():
        return
    if shutil.which("pg_lsclusters"):
        clusters = subprocess.run(
            ["pg_lsclusters", "--no-header"], capture_output=True, text=True
        ).stdout.split("\n")
        for line in filter(None, clusters):
            version, name, _port, status = line.split()[:4]
            if status != "online":
                say(f"starting PostgreSQL cluster {version}/{name}")
                subprocess.run(
                    [
                        "pg_ctlcluster",
                        "--skip-systemctl-redirect",
                        version,
                        name,
                        "start",
                    ],
                    check=False,
                )
        for _attempt in range(20):
            if reachable():
                return
            time.sleep(0.5)
    fail(
        f"PostgreSQL is not reachable on {DB_HOST}:{DB_PORT} as user {DB_USER}. "
        "Start it, or set PGHOST/PGPORT/PGUSER."
    )


def recreate_database(name):
    import psycopg2
    from psycopg2 import sql

    connection = psycopg2.connect(
        host=DB_HOST, port=DB_PORT, user=DB_USER, dbname="postgres"
    )
    connection.autocommit = True
    with connection.cursor() as cr:
        cr.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            [name],
        )
        cr.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
    connection.close()
    import odoo.tools

    shutil.rmtree(
        Path(odoo.tools.config["data_dir"]) / "filestore" / name, ignore_errors=True
    )


def odoo_args(db):
    return [
        f"--database={db}",
        f"--db_host={DB_HOST}",
        f"--db_port={DB_PORT}",
        f"--db_user={DB_USER}",
        f"--addons-path={odoo_addons_path()}",
    ]


def install_addons(db, extra=(), modules=()):
    """Install the three addons (and ``modules``) in a new database; return
    the install log."""
    addons = ADDONS + [module for module in modules if module not in ADDONS]
    say(f"creating database {db} and installing {', '.join(addons)}")
    started = time.monotonic()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "odoo",
            *odoo_args(db),
            "--init=" + ",".join(addons),
            "--stop-after-init",
            "--log-level=info",
            *extra,
        ],
        capture_output=True,
        text=True,
    )
    log = result.stdout + result.stderr
    say(f"installed in {time.monotonic() - started:.0f} s")
    problems = [m.group(0) for m in LOG_PROBLEM.finditer(log)]
    if result.returncode or problems:
        lines = [line for line in log.splitlines() if LOG_PROBLEM.match(line + " ")]
        print("\n".join(lines[:40]) or log[-4000:], file=sys.stderr)
        fail(f"installing the addons in {db} failed or logged warnings.", code=1)
    return log


def cmd_test(args, pytest_args):
    check_odoo()
    install_python_deps()
    ensure_postgresql()
    recreate_database(args.db)
    install_addons(args.db, modules=TEST_MODULES)
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-c",
        str(ROOT / "tests" / "pytest.ini"),
        "--rootdir",
        str(ROOT),
        f"--odoo-database={args.db}",
        f"--odoo-addons-path={odoo_addons_path()}",
        *ADDONS,
        "tests",
        *test_processes(args.jobs, pytest_args),
        *pytest_args,
    ]
    say("running the test suite: " + " ".join(command[1:]))
    env = dict(os.environ, PGHOST=DB_HOST, PGPORT=DB_PORT, PGUSER=DB_USER)
    returncode = subprocess.run(command, cwd=ROOT, env=env).returncode
    sys.exit(returncode)


def test_processes(jobs, pytest_args):
    """pytest-xdist's arguments for ``jobs`` processes on copies of the
    database, files shared as tests/pytest_groups.py says; none for one
    process or when the caller chose (``-n``, ``-p no:xdist``)."""
    chosen = {"-n", "no:xdist"} & set(pytest_args) or any(
        arg.startswith(("-n", "--numprocesses")) for arg in pytest_args
    )
    if jobs <= 1 or chosen:
        return []
    return ["-n", str(jobs), "--dist", "loadgroup", "-p", "tests.pytest_groups"]


@functools.cache
def parse_odoo_config(db):
    import odoo.tools

    odoo.tools.config.parse_config(odoo_args(db) + ["--log-level=warn"])


@contextlib.contextmanager
def odoo_environment(db):
    """A superuser environment on db, committed on success."""
    from odoo import SUPERUSER_ID, api
    from odoo.modules.registry import Registry

    parse_odoo_config(db)
    with Registry(db).cursor() as cr:
        yield api.Environment(cr, SUPERUSER_ID, {})


def log_admin_into_demo_company(db):
    """Make the demo company admin's current company, so that the web client
    opens on its subscriptions; the other companies stay allowed. The
    visitors' company too, so that the public pages (the public cancellation
    page) carry its logo and address. Done here rather than in demo data,
    which the test databases load too."""
    from odoo import Command

    with odoo_environment(db) as env:
        company = env.ref("recurring_billing.res_company_nuage")
        for user in env.ref("base.user_admin") | env.ref("base.public_user"):
            user.write(
                {
                    "company_ids": [Command.link(company.id)],
                    "company_id": company.id,
                }
            )
        admin = env.ref("base.user_admin")
        say(
            f"admin logs into {company.name} (companies allowed: "
            f"{', '.join(admin.company_ids.sorted('id').mapped('name'))})"
        )


def load_setup_module(name):
    """The module setup/<name>.py: the scripts of setup/ are no package."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "setup" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_demo_history():
    """setup/demo_history.py, which builds the demo's history (see demo)."""
    return load_setup_module("demo_history")


@contextlib.contextmanager
def odoo_http_server(db):
    """Odoo's HTTP server on db, in this process, on a free port (yielded),
    as pytest-odoo's --odoo-http starts it: wkhtmltopdf fetches the report
    assets from it while the history renders its PDFs (the formal notices)."""
    import socket

    import odoo.tools
    from odoo.http import root
    from odoo.service import server

    parse_odoo_config(db)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    odoo.tools.config["http_port"] = port
    odoo.tools.config["http_interface"] = "127.0.0.1"
    server.load_server_wide_modules()
    server.server = server.ThreadedServer(root)
    server.server.start(stop=False)
    try:
        yield port
    finally:
        server.server.stop()


def build_demo_history(db, port=8069):
    """Live the demo company's last 18 months day by day
    (setup/demo_history.py), committing as the jobs do, and print what the
    history holds."""
    demo_history = load_demo_history()
    started = time.monotonic()
    # Debian's wkhtmltopdf has no patched Qt: Odoo logs, for each PDF, that
    # it ignores the header and footer switches. Known (README, "Install"),
    # it says nothing of the demo.
    logging.getLogger("odoo.addons.base.models.ir_actions_report").addFilter(
        lambda record: "unpatched qt" not in record.getMessage()
    )
    with odoo_http_server(db) as build_port:
        with odoo_environment(db) as env:
            ICP = env["ir.config_parameter"]
            ICP.set_param("report.url", f"http://127.0.0.1:{build_port}")
            stats = demo_history.build_history(env)
            # wkhtmltopdf fetches the report assets from the server served next.
            ICP.set_param("report.url", f"http://127.0.0.1:{port}")
            company = env.ref("recurring_billing.res_company_nuage")
            say(f"history built in {time.monotonic() - started:.0f} s")
            print_demo_summary(env, company, stats)


def print_demo_summary(env, company, stats):
    orders = env["sale.order"].search(
        [("company_id", "=", company.id), ("is_subscription", "=", True)]
    )
    by_state = collections.Counter(orders.mapped("subscription_state"))
    moves = env["account.move"].search(
        [
            ("company_id", "=", company.id),
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
        ]
    )
    paid = moves.filtered(lambda move: move.payment_state in ("paid", "in_payment"))
    charges = env["payment.transaction"].search(
        [("company_id", "=", company.id), ("recurring_invoice_id", "!=", False)]
    )
    dunning = moves.filtered("dunning_state")
    months = env["recurring.mrr.event"]._read_group(
        [("company_id", "=", company.id)], ["date:month"]
    )
    mrr = sum(order._kpi_get_mrr() for order in orders)
    print(f"\nThe demo company's history: {stats['days']} days")
    print(f"  subscriptions         : {len(orders)}")
    for state, count in sorted(by_state.items(), key=lambda item: str(item[0])):
        print(f"    {state or '-':<20}: {count}")
    print(f"  invoices posted       : {len(moves)} ({len(paid)} paid)")
    print(
        f"  card charges          : {len(charges)} "
        f"({len(charges.filtered(lambda tx: tx.state == 'done'))} paid)"
    )
    print(f"  transfers registered  : {stats['transfers']}")
    print(f"  usage records         : {stats['usage']}")
    print(
        f"  invoices in dunning   : {len(dunning)} ("
        + ", ".join(
            f"{state} {len(dunning.filtered(lambda m, s=state: m.dunning_state == s))}"
            for state in sorted(set(dunning.mapped("dunning_state")))
        )
        + ")"
    )
    print(f"  months with movements : {len(months)}")
    print(f"  MRR today             : {company.currency_id.name} {mrr:,.2f}")
    flagged = orders.filtered("recurring_billing_error")
    print(f"  flagged, not billed   : {len(flagged)}")
    for order in flagged:
        print(f"    {order.name}: {order.recurring_billing_error}")
    print()


def cmd_demo(args, _extra):
    check_odoo()
    install_python_deps()
    ensure_postgresql()
    recreate_database(args.db)
    install_addons(args.db, extra=["--load-language=fr_FR"], modules=DEMO_MODULES)
    log_admin_into_demo_company(args.db)
    say("living the demo company's last 18 months, day by day")
    build_demo_history(args.db, args.port)
    if args.no_serve:
        return
    say(
        f"serving Odoo on http://localhost:{args.port} (login admin, password "
        "admin, in the demo company Nuage Libre SAS)"
    )
    os.execv(
        sys.executable,
        [
            sys.executable,
            "-m",
            "odoo",
            *odoo_args(args.db),
            f"--http-port={args.port}",
            f"--db-filter=^{args.db}$",
        ],
    )


def load_installer():
    """setup/install_odoo.py, which installs Odoo 18.0 (see install-odoo)."""
    return load_setup_module("install_odoo")


def cmd_install_odoo(args, extra):
    if extra:
        fail(f"install-odoo: unknown arguments: {' '.join(extra)}")
    load_installer().install_odoo(args.source, args.target, args.dry_run)


def cmd_readme(args, _extra):
    readme = load_setup_module("readme")
    stale = readme.update_readmes(ROOT, ADDONS, write=not args.check)
    if args.check and stale:
        fail(f"README.rst out of date in: {', '.join(stale)}; run tasks.py readme")
    for addon in stale:
        say(f"wrote {addon}/README.rst")


def main():
    installer = load_installer()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    install = sub.add_parser(
        "install-odoo", help="install Odoo 18.0 for this python3 (non-editable)"
    )
    install.add_argument(
        "--source",
        default=installer.ODOO_GIT_URL,
        metavar="PATH_OR_URL",
        help="an Odoo 18.0 source directory, used as is, or a git URL to clone "
        f"(default {installer.ODOO_GIT_URL}, branch {installer.ODOO_BRANCH})",
    )
    install.add_argument(
        "--target",
        default=installer.ODOO_TARGET,
        type=Path,
        help=f"where to clone a git URL (default {installer.ODOO_TARGET})",
    )
    install.add_argument(
        "--dry-run", action="store_true", help="print the commands, run none"
    )
    demo = sub.add_parser(
        "demo", help="demo database with 18 months of history, web client"
    )
    demo.add_argument("--db", default="recurring_billing_demo")
    demo.add_argument("--no-serve", action="store_true", help="stop after the summary")
    demo.add_argument("--port", type=int, default=8069)
    test = sub.add_parser("test", help="fresh database and the whole test suite")
    test.add_argument("--db", default="recurring_billing_test")
    test.add_argument(
        "--jobs",
        type=int,
        default=max(1, min(os.cpu_count() or 1, 4)),
        help="test processes, each on a copy of the database "
        "(default: one per core, at most 4; 1: a single process)",
    )
    readme = sub.add_parser("readme", help="generate each addon's README.rst")
    readme.add_argument("--check", action="store_true", help="fail if out of date")
    args, extra = parser.parse_known_args()
    commands = {
        "install-odoo": cmd_install_odoo,
        "demo": cmd_demo,
        "test": cmd_test,
        "readme": cmd_readme,
    }
    commands[args.command](args, extra)


if __name__ == "__main__":
    main()
