# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import shutil
import subprocess
import tempfile
import unittest
from datetime import date, timedelta

from freezegun import freeze_time

from odoo import fields

from odoo.addons.recurring_billing.tests.payment_common import RecurringPaymentCommon

TEMPLATE = "recurring_billing_dunning.mail_template_dunning_"


class RecurringDunningCommon(RecurringPaymentCommon):
    """A French SaaS company with its default dunning policies (created with
    the company), a card of its customer and Odoo's test payment provider:
    the provider's answers are given through the transaction's own state
    methods, as a provider's notification would."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Policy = cls.env["recurring.dunning.policy"]
        cls.policy_auto = Policy.search(
            [("company_id", "=", cls.company.id), ("payment_mode", "=", "auto")]
        )
        cls.policy_manual = Policy.search(
            [("company_id", "=", cls.company.id), ("payment_mode", "=", "manual")]
        )
        cls.env["ir.config_parameter"].sudo().set_param(
            "report.url", "http://127.0.0.1:1"
        )

    # ------------------------------------------------------------
    # HELPERS
    # ------------------------------------------------------------

    def _dun(self, day, batch_size=100, **context):
        """Run the dunning job as if today were ``day``, to the end, then the
        charge job it wakes for its retries.

        :return: the history lines created
        """
        History = self.env["recurring.dunning.history"]
        before = History.search([])
        with freeze_time(day):
            for _call in range(50):
                run = self.env["recurring.dunning.run"].with_context(**context)
                if not run._cron_dunning(batch_size):
                    break
            Charge = self.env["recurring.payment.charge"]
            for _call in range(50):
                if not Charge._cron_charge_invoices(batch_size):
                    break
        self.env.invalidate_all()
        return History.search([]) - before

    def _dun_days(self, start, end):
        """Run the job each day from ``start`` to ``end`` (included)."""
        day = fields.Date.to_date(start)
        history = self.env["recurring.dunning.history"]
        while day <= fields.Date.to_date(end):
            history |= self._dun(day)
            day += timedelta(days=1)
        return history

    def _walk(self, start, end, **codes):
        """Run the job each day from ``start`` to ``end``; each retry it makes
        fails the same day with ``codes``."""
        day = fields.Date.to_date(start)
        history = self.env["recurring.dunning.history"]
        while day <= fields.Date.to_date(end):
            new = self._dun(day)
            for tx in new.transaction_id.filtered(lambda t: t.state == "draft"):
                self._fail_tx(tx, day=day, **codes)
            history |= new
            day += timedelta(days=1)
        return history

    def _fail_tx(self, tx, message="Declined", day=None, **codes):
        with freeze_time(day or date.today()):
            tx.write(codes)
            tx._set_error(message)
            tx._post_process()
        self.env.invalidate_all()
        return tx

    def _succeed_tx(self, tx, day=None):
        with freeze_time(day or date.today()):
            tx._set_done()
            tx._post_process()
        self.env.invalidate_all()
        return tx

    def _dunning_mails(self, invoice):
        """The dunning emails posted on ``invoice``, oldest first."""
        templates = self.env["mail.template"].search([("name", "=like", "Dunning:%")])
        subjects = {
            template._render_field("subject", invoice.ids)[invoice.id]
            for template in templates
        }
        return invoice.message_ids.filtered(
            lambda message: message.subject in subjects
        ).sorted("id")

    def _pay(self, invoice, day):
        with freeze_time(day):
            self.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=invoice.ids
            ).create({"payment_date": day})._create_payments()
        self.env.invalidate_all()

    def _step(self, policy, action, index=0):
        return policy.step_ids.sorted().filtered(lambda s: s.action == action)[index]

    def pdf_text(self, pdf):
        """The text of a PDF, by pdftotext, with whitespace collapsed."""
        if not shutil.which("pdftotext"):
            raise unittest.SkipTest("pdftotext (poppler-utils) needed")
        with tempfile.NamedTemporaryFile(suffix=".pdf") as pdf_file:
            pdf_file.write(pdf)
            pdf_file.flush()
            text = subprocess.run(
                ["pdftotext", "-layout", pdf_file.name, "-"],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        return " ".join(text.split())
