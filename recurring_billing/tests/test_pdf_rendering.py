# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import functools
import socket
import subprocess
import threading
from unittest.mock import patch

from odoo.tests import tagged

from odoo.addons.base.models import ir_actions_report

from ..tools import wkhtmltopdf
from .test_fr_invoice import FrenchInvoiceCommon

PATCHED = "wkhtmltopdf 0.12.6.1 (with patched qt)\n"
UNPATCHED = "wkhtmltopdf 0.12.6\n"


@tagged("post_install", "-at_install")
class TestPdfRendering(FrenchInvoiceCommon):
    """Invoice PDFs with whatever wkhtmltopdf the server has: a build without
    patched Qt (Debian's) renders one document per call and prints no page
    header, so the seller's address is printed with the legal mentions."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        france = cls.env.ref("base.fr")
        cls.customers = cls.customer | cls.env["res.partner"].create(
            [
                {
                    "name": "Fromagerie Dubois SARL",
                    "is_company": True,
                    "street": "5 rue Mercière",
                    "zip": "69002",
                    "city": "Lyon",
                    "country_id": france.id,
                    "vat": "FR96552100554",
                    "siret": "55210055400013",
                },
                {
                    "name": "Librairie Lefèvre SAS",
                    "is_company": True,
                    "street": "9 cours de l'Intendance",
                    "zip": "33000",
                    "city": "Bordeaux",
                    "country_id": france.id,
                    "vat": "FR59542051180",
                    "siret": "54205118000017",
                },
            ]
        )

    def _detect(self, version_output):
        """The detection's answers, asked twice then through the company, for
        a wkhtmltopdf that prints ``version_output``, as in a new process."""
        run = patch.object(
            wkhtmltopdf.subprocess,
            "run",
            return_value=subprocess.CompletedProcess([], 0, version_output, ""),
        )
        # A fresh cache, as in a new process; the process's own is left as is.
        fresh = functools.cache(wkhtmltopdf._detect_lack_of_patched_qt.__wrapped__)
        with (
            run as mocked_run,
            patch.object(wkhtmltopdf, "_detect_lack_of_patched_qt", fresh),
            patch.object(ir_actions_report, "wkhtmltopdf_state", "ok"),
        ):
            answers = [
                wkhtmltopdf.wkhtmltopdf_lacks_patched_qt(),
                wkhtmltopdf.wkhtmltopdf_lacks_patched_qt(),
            ]
            self.company.invalidate_recordset(["wkhtmltopdf_lacks_patched_qt"])
            answers.append(self.company.wkhtmltopdf_lacks_patched_qt)
        # wkhtmltopdf is asked once.
        self.assertEqual(mocked_run.call_count, 1)
        self.assertEqual(mocked_run.call_args.args[0][1:], ["--version"])
        return answers

    def test_detection_of_a_build_without_patched_qt(self):
        self.assertTrue(wkhtmltopdf.is_patched_qt_build(PATCHED))
        self.assertTrue(
            wkhtmltopdf.is_patched_qt_build("wkhtmltopdf 0.12.5 (WITH PATCHED QT)")
        )
        self.assertFalse(wkhtmltopdf.is_patched_qt_build(UNPATCHED))
        self.assertFalse(wkhtmltopdf.is_patched_qt_build(""))
        with self.assertNoLogs(wkhtmltopdf.__name__, "INFO"):
            self.assertEqual(self._detect(PATCHED), [False, False, False])
        with self.assertLogs(wkhtmltopdf.__name__, "INFO") as logs:
            self.assertEqual(self._detect(UNPATCHED), [True, True, True])
        # Said once, at the first question.
        self.assertEqual(len(logs.records), 1)
        self.assertEqual(logs.records[0].levelname, "WARNING")
        self.assertIn(
            "wkhtmltopdf 0.12.6 is built without patched Qt",
            logs.records[0].getMessage(),
        )

    def test_printing_several_invoices_at_once(self):
        """Printing three invoices at once from the list, with this server's
        wkhtmltopdf (Debian's fails when given several documents in one
        call): one PDF holding each of them, in order."""
        moves = self.env["account.move"]
        for partner in self.customers:
            moves |= self._invoice(partner=partner)
        pdf = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf("account.account_invoices", moves.ids)[0]
        )
        text = self.pdf_text(pdf)
        positions = [text.index(move.partner_id.name) for move in moves]
        self.assertEqual(positions, sorted(positions))
        self.assertEqual(text.count("12 rue de la Paix, 75002 Paris, France"), 3)

    def test_rendering_asks_no_http_server(self):
        """The tests' PDFs are rendered without any HTTP request, even with a
        server at ``web.base.url`` (which answers none, here)."""
        requests = []
        rendered = threading.Event()

        def serve(server):
            while not rendered.is_set():
                try:
                    connection, _address = server.accept()
                except TimeoutError:
                    continue
                with connection:
                    requests.append(connection.recv(1024))

        with socket.socket() as server:
            server.bind(("127.0.0.1", 0))
            server.listen()
            server.settimeout(0.1)
            self.env["ir.config_parameter"].set_param(
                "web.base.url", f"http://127.0.0.1:{server.getsockname()[1]}"
            )
            thread = threading.Thread(target=serve, args=(server,), daemon=True)
            thread.start()
            pdf = (
                self.env["ir.actions.report"]
                .with_context(force_report_rendering=True)
                ._render_qweb_pdf("account.account_invoices", self._invoice().ids)[0]
            )
            rendered.set()
            thread.join()
        self.assertEqual(requests, [])
        self.assertIn("12 rue de la Paix, 75002 Paris, France", self.pdf_text(pdf))

    def test_sending_job_pdfs_carry_the_seller_address(self):
        """Three subscription invoices sent together by Odoo's sending job,
        with this server's wkhtmltopdf: each gets its PDF, which prints the
        seller's address."""
        for customer in self.customers:
            self._create_subscription(
                "2025-03-10", lines=[(self.product_cloud, 1)], partner_id=customer.id
            )
        moves = self._run_engine("2025-03-10")
        self.assertEqual(moves.partner_id, self.customers)
        AccountMove = self.env["account.move"]
        # The engine queued them for the sending job, and nothing else is.
        self.assertEqual(AccountMove.search([("sending_data", "!=", False)]), moves)
        AccountMove.with_context(force_report_rendering=True)._cron_account_move_send(
            job_count=10
        )
        self.assertFalse(any(moves.mapped("sending_data")))
        self.assertTrue(all(moves.mapped("is_move_sent")))
        attachments = self.env["ir.attachment"].search(
            [
                ("res_model", "=", "account.move"),
                ("res_id", "in", moves.ids),
                ("res_field", "=", "invoice_pdf_report_file"),
            ]
        )
        self.assertEqual(len(attachments), 3)
        self.assertEqual(sorted(attachments.mapped("res_id")), sorted(moves.ids))
        for move in moves:
            text = self.pdf_text(move.invoice_pdf_report_id.raw)
            self.assertIn(move.name, text)
            self.assertIn(move.partner_id.name, text)
            # The seller's street, zip and city, printed with the legal mentions.
            self.assertIn("12 rue de la Paix, 75002 Paris, France", text)
