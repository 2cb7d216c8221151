#!/usr/bin/env python3
# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Benchmark: Odoo's sending of N subscription invoices (PDF + Factur-X +
validation + mail queued), with one checkout of the addons or two.

    python3 benchmarks/bench_facturx_sending.py --n 200 [--before PATH] [--keep]

For each checkout (``--before PATH``: a checkout of the code to compare with,
e.g. ``git worktree add /work/wt/base main``; then this script's own
checkout, "after"): a fresh database ``rbbench_fx_<label>`` with
``recurring_billing`` of that checkout, the French company of
``bench_recurring_invoicing.py`` (France, EUR, French chart, 20 % VAT, N
French company customers with a SIRET and an e-mail address), N monthly
subscriptions (1 x 30.00 + 3 x 12.00) invoiced by the recurring job (not
timed), which queues each invoice for Odoo's sending job.

Timed, in its own process: Odoo's sending job,
``account.move._cron_account_move_send(job_count=B)`` then ``commit()``,
until no invoice waits to be sent. For each invoice it renders the PDF with
wkhtmltopdf, builds and checks the Factur-X (XSD, EN 16931 and French CTC
schematrons), makes the PDF/A-3 and queues the mail (SMTP stubbed: nothing
leaves the machine). The process runs as an Odoo worker does, under
``limit_memory_hard`` (``--limit-memory-hard``, Odoo's default 2,560 MiB, as
RLIMIT_AS): there the schematrons cannot run in Saxon in-process.

Also measured, inside the timed section: the time spent validating
(``validate_facturx`` as the invoice calls it), and its share of the whole.
Checked after the timer: every invoice sent, with its PDF holding a
``factur-x.xml``, and one mail queued per invoice.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE.parent))

import bench_recurring_invoicing as base  # noqa: E402

DB_PREFIX = "rbbench_fx_"


def odoo_addons():
    return base.odoo_dir() / "addons"


def install(db, code):
    """A fresh database with recurring_billing of the checkout ``code``."""
    if base.db_exists(db):
        base.dropdb(db)
    base.createdb(db)
    base.log(f"installing recurring_billing of {code} into {db}")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "odoo",
            "-d",
            db,
            "--db_host",
            base.DB_HOST,
            "--db_port",
            base.DB_PORT,
            "--db_user",
            base.DB_USER,
            "--addons-path",
            f"{odoo_addons()},{code}",
            "-i",
            "recurring_billing",
            "--without-demo=all",
            "--stop-after-init",
            "--log-level=warn",
            "--http-port=0",
        ],
        env=base.pg_env(),
        check=True,
    )


def run_worker(args, phase, db, code):
    with tempfile.NamedTemporaryFile("r", suffix=".json", delete=False) as tmp:
        result_file = tmp.name
    cmd = [
        sys.executable,
        str(HERE),
        "--_worker",
        phase,
        "--_db",
        db,
        "--_code",
        str(code),
        "--_result",
        result_file,
        "--n",
        str(args.n),
        "--job-count",
        str(args.job_count),
        "--limit-memory-hard",
        str(args.limit_memory_hard),
    ]
    proc = subprocess.run(cmd, env=base.pg_env())
    try:
        text = Path(result_file).read_text()
        result = json.loads(text) if text else None
    finally:
        os.unlink(result_file)
    if proc.returncode or result is None:
        sys.exit(f"worker {phase} on {db} failed (exit {proc.returncode})")
    return result


# ======================================================================
# Workers (Odoo in-process)
# ======================================================================


def _odoo_env(db, code):
    import odoo
    from odoo import SUPERUSER_ID, api

    odoo.tools.config.parse_config(
        [
            "-d",
            db,
            "--db_host",
            base.DB_HOST,
            "--db_port",
            base.DB_PORT,
            "--db_user",
            base.DB_USER,
            "--addons-path",
            f"{Path(odoo.__file__).resolve().parent / 'addons'},{code}",
            "--log-level=warn",
            "--workers=0",
            "--max-cron-threads=0",
        ],
        setup_logging=True,
    )
    registry = odoo.modules.registry.Registry(db)
    base._stub_smtp(registry)
    cr = registry.cursor()
    return api.Environment(cr, SUPERUSER_ID, {})


def w_prepare(env, n):
    from freezegun import freeze_time

    from odoo import Command, fields

    base.w_template(env, n)
    env.cr.commit()
    data = base._params(env)
    # wkhtmltopdf loads nothing from an HTTP server (none runs here).
    env["ir.config_parameter"].set_param("report.url", "http://127.0.0.1:1")
    company = env["res.company"].browse(data["company"])
    company.partner_id.write(
        {
            "street": "12 rue de la Paix",
            "zip": "75002",
            "city": "Paris",
            "phone": "+33 1 84 60 00 00",
            "email": "facturation@nuage-libre.example",
        }
    )
    company.write({"siret": "33417522100012", "vat": "FR23334175221"})
    env["res.partner.bank"].create(
        {
            "acc_number": "FR7630006000011234567890189",
            "partner_id": company.partner_id.id,
            "allow_out_payment": True,
        }
    )
    today = fields.Date.context_today(env["res.partner"])
    with freeze_time(today):
        for chunk in base._chunks(data["partners"][:n], 100):
            orders = env["sale.order"].create(
                [
                    {
                        "partner_id": partner_id,
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
                    for partner_id in chunk
                ]
            )
            orders.action_confirm()
            env.cr.commit()
        SaleOrder = env["sale.order"]
        for _call in range(1000):
            env["recurring.invoicing"]._cron_recurring_invoice(batch_size=100)
            env.cr.commit()
            if not SaleOrder.search_count(
                SaleOrder._get_subscriptions_to_invoice_domain()
            ):
                break
    queued = env["account.move"].search_count([("sending_data", "!=", False)])
    assert queued == n, f"{queued} invoices queued for sending, expected {n}"
    return {"queued": queued}


def w_run(env, n, job_count, limit_memory_hard):
    import io
    import resource

    from odoo.tools.pdf import OdooPdfFileReader

    from odoo.addons.recurring_billing.models import account_move

    # As an Odoo worker under limit_memory_hard.
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (limit_memory_hard * 2**20, hard))
    validation = {"seconds": 0.0, "calls": 0}
    validate = account_move.validate_facturx

    def timed_validate(*args, **kwargs):
        start = time.perf_counter()
        try:
            return validate(*args, **kwargs)
        finally:
            validation["seconds"] += time.perf_counter() - start
            validation["calls"] += 1

    account_move.validate_facturx = timed_validate
    Move = env["account.move"]
    mails_before = env["mail.mail"].search_count([])
    start = time.perf_counter()
    for _call in range(10 * n):
        Move._cron_account_move_send(job_count=job_count)
        env.cr.commit()
        if not Move.search_count([("sending_data", "!=", False)]):
            break
    seconds = time.perf_counter() - start
    moves = Move.search([("move_type", "=", "out_invoice"), ("state", "=", "posted")])
    assert len(moves) == n, len(moves)
    assert all(moves.mapped("is_move_sent")), "some invoices were not sent"
    for move in moves:
        reader = OdooPdfFileReader(io.BytesIO(move.invoice_pdf_report_id.raw))
        names = [name for name, _content in reader.getAttachments()]
        assert "factur-x.xml" in names, (move.name, names)
    # Odoo's sending job sends its mails at once (through the stubbed SMTP
    # here) and deletes them; a mail left in the queue counts too.
    mails = (
        env["mail.mail"].search_count([]) - mails_before + base.SMTP_CALLS["send_email"]
    )
    return {
        "invoices": n,
        "seconds": seconds,
        "validation_seconds": validation["seconds"],
        "validation_calls": validation["calls"],
        "mails_queued": mails,
        "peak_rss_mib": base._maxrss_mib(),
    }


def worker_main(args):
    env = _odoo_env(args._db, args._code)
    try:
        if args._worker == "prepare":
            result = w_prepare(env, args.n)
        else:
            result = w_run(env, args.n, args.job_count, args.limit_memory_hard)
        env.cr.commit()
    finally:
        env.cr.close()
    Path(args._result).write_text(json.dumps(result))
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument(
        "--before", help="a checkout of the code to compare with (e.g. main)"
    )
    parser.add_argument("--job-count", type=int, default=20)
    parser.add_argument(
        "--limit-memory-hard", type=int, default=2560, help="MiB (Odoo's default)"
    )
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--_worker")
    parser.add_argument("--_db")
    parser.add_argument("--_code")
    parser.add_argument("--_result")
    args = parser.parse_args()
    if args._worker:
        return worker_main(args)
    checkouts = []
    if args.before:
        checkouts.append(("before", Path(args.before).resolve()))
    checkouts.append(("after", ROOT))
    rows = []
    for label, code in checkouts:
        db = f"{DB_PREFIX}{label}"
        install(db, code)
        base.log(f"{label}: {args.n} subscriptions invoiced by the job")
        run_worker(args, "prepare", db, code)
        base.psql("VACUUM ANALYZE", db=db)
        base.psql("CHECKPOINT", db=db)
        base.log(f"{label}: timing Odoo's sending of {args.n} invoices")
        result = run_worker(args, "run", db, code)
        rows.append((label, code, result))
        if not args.keep:
            base.dropdb(db)
    print()
    print(
        f"Odoo's sending of {args.n} subscription invoices "
        f"(PDF + Factur-X + validation + mail queued), "
        f"limit_memory_hard {args.limit_memory_hard} MiB"
    )
    print(
        f"machine: {platform.processor() or platform.machine()}, "
        f"os.cpu_count() = {os.cpu_count()}, Python {platform.python_version()}; "
        "shared and noisy: compare figures of one run"
    )
    print()
    print(
        "| code | invoices | seconds | s/invoice | validation s | validation share "
        "| mails | peak RSS MiB |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for label, code, r in rows:
        print(
            f"| {label} ({code}) | {r['invoices']} | {r['seconds']:.1f} "
            f"| {r['seconds'] / r['invoices']:.3f} | {r['validation_seconds']:.1f} "
            f"| {100 * r['validation_seconds'] / r['seconds']:.1f} % "
            f"| {r['mails_queued']} | {r['peak_rss_mib']:.0f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
