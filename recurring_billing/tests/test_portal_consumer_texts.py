# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""What a French consumer reads on the portal: what is still invoiced
before a cancellation takes effect, statuses in their words, a credit note
called a credit note, French typography, over HTTP and in Chromium."""

import html
import re
from datetime import timedelta

import polib

from odoo.modules.module import get_module_path
from odoo.tests import TransactionCase, tagged
from odoo.tools import format_date

from .common_portal import RecurringPortalCommon

NO_BREAK_SPACES = "\u00a0\u202f"


@tagged("post_install", "-at_install")
class TestConsumerTexts(RecurringPortalCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.env["ir.module.module"]._load_module_terms(
            ["recurring_billing"], ["fr_FR"], overwrite=True
        )
        cls.customer.lang = "fr_FR"
        cls.env = cls.env(context=dict(cls.env.context, lang="fr_FR"))
        # A second contract of the same customer, with a 12-month minimum
        # commitment.
        cls.template_committed = cls.template_portal.copy(
            {"name": "Cloud, 12 mois", "minimum_commitment_months": 12}
        )
        cls.committed = cls._create_subscription(
            cls.start, template=cls.template_committed
        )
        cls._run_engine_today()

    def _fr(self, day):
        return format_date(self.env, day, lang_code="fr_FR")

    def _page(self, url):
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200, url)
        return response.text

    def test_cancellation_summary_says_what_is_still_invoiced(self):
        order = self.committed
        end = order._get_cancellation_end_date()
        self.assertEqual(end, order._get_commitment_end_date())
        self.authenticate("rb_portal_subscriber", "rb_portal_subscriber")
        url = f"/my/subscriptions/{order.id}/cancel"
        summary = html.unescape(
            self.url_open(url, data={"csrf_token": self._csrf_token(url)}).text
        )
        # Started 40 days ago, 2 months invoiced: 10 more monthly invoices of
        # 1 x 30.00 + 3 x 12.00 = 66.00, 79.20 incl. 20 % VAT.
        expected = (
            f"Vous serez encore facturé 10 fois 79,20\u00a0€ TTC jusqu'au "
            f"{self._fr(end)}."
        )
        self.assertIn(expected, summary)
        self.assertEqual(
            order._get_portal_billing_until_end(),
            {"count": 10, "amount": 79.2, "total": 792.0, "until": end},
        )
        # And so the engine does, once cancelled.
        self.url_open(url + "/confirm", data={"csrf_token": self._csrf_token(url)})
        self.assertEqual(order.subscription_state, "to_close")
        self.assertEqual(order.subscription_end_date, end)
        before = order.subscription_invoice_ids
        self._run_engine(end + timedelta(days=40))
        issued = order.subscription_invoice_ids - before
        self.assertEqual(len(issued), 10)
        self.assertEqual(set(issued.mapped("amount_total")), {79.2})
        self.assertEqual(max(issued.mapped("subscription_period_end")), end)
        # Without a commitment nor notice, the current period is paid for:
        # nothing more is invoiced, and nothing is said.
        self.assertFalse(self.subscription._get_portal_billing_until_end())
        other = f"/my/subscriptions/{self.subscription.id}/cancel"
        text = self.url_open(other, data={"csrf_token": self._csrf_token(other)}).text
        self.assertIn("o_subscription_cancel_summary", text)
        self.assertNotIn("o_subscription_billing_left", text)

    def test_statuses_and_credit_notes_in_the_customers_words(self):
        order = self.subscription
        order.action_subscription_cancel_at_period_end()
        invoice = order.subscription_invoice_ids.sorted("id")[-1]
        credit_note = invoice._reverse_moves(cancel=True)
        self.assertEqual(credit_note.state, "posted")
        self.assertEqual(invoice.payment_state, "reversed")
        self.authenticate("rb_portal_subscriber", "rb_portal_subscriber")
        scheduled = f"Résiliation prévue le {self._fr(order.subscription_end_date)}"
        listing = self._page("/my/subscriptions")
        page = self._page(f"/my/subscriptions/{order.id}")
        for text in (listing, page):
            self.assertIn(scheduled, text)
            self.assertNotIn("À clôturer", text)
        rows = {
            move.name: re.search(
                re.escape(move.name)
                + r".*?o_subscription_invoice_status.*?badge[^>]*>([^<]+)<",
                page,
                re.S,
            ).group(1)
            for move in invoice | credit_note
        }
        self.assertEqual(
            rows, {invoice.name: "Annulée par un avoir", credit_note.name: "Avoir"}
        )
        self.assertNotIn("Rembours", page)
        # In English too.
        page = self._page(f"/en/my/subscriptions/{order.id}")
        self.assertIn(
            "Cancellation scheduled on "
            + format_date(self.env, order.subscription_end_date, lang_code="en_US"),
            page,
        )
        self.assertNotIn("To Close at Period End", page)

    def test_in_chromium(self):
        order = self.subscription
        order.action_subscription_cancel_at_period_end()
        credit_note = order.subscription_invoice_ids.sorted("id")[-1]._reverse_moves(
            cancel=True
        )
        left = self.committed._get_portal_billing_until_end()
        self.start_tour(
            f"/my/subscriptions/{order.id}",
            "recurring_portal_consumer_texts",
            login="rb_portal_subscriber",
        )
        self.assertEqual(credit_note.state, "posted")
        self.assertEqual(left["count"], 10)
        # The tour stops at the summary: nothing is cancelled.
        self.assertEqual(self.committed.subscription_state, "active")


@tagged("post_install", "-at_install")
class TestFrenchTypography(TransactionCase):
    """Every French translation of the three addons: a no-break space
    before : ; ! ? and » and after «, outside HTML tags, placeholders,
    URLs and times."""

    IGNORED = re.compile(
        r"<[^>]*>|\{\{.*?\}\}|%\(\w+\)[sdf]|%[sd]|\b\w+://[^\s<\"']*|\d:\d", re.S
    )

    def _faults(self, text):
        text = self.IGNORED.sub("X", text)
        # The punctuation may start a text that follows a placeholder.
        faults = [
            match.group(0)
            for match in re.finditer(r"(^|.)[:;!?»]", text, re.M)
            if not match.group(1) or match.group(1) not in NO_BREAK_SPACES
        ]
        faults += [
            match.group(0)
            for match in re.finditer(r"«(.)", text)
            if match.group(1) not in NO_BREAK_SPACES
        ]
        return faults

    def test_checker(self):
        self.assertEqual(self._faults("Total : 12 €"), [" :"])
        self.assertEqual(self._faults("Total: «oui»"), ["l:", "i»", "«o"])
        self.assertFalse(self._faults("Total\u00a0: «\u00a0oui\u00a0» à 12:30"))
        self.assertFalse(self._faults('<p style="margin: 0px;">%(x)s</p>'))
        self.assertEqual(self._faults(": it cannot end earlier."), [":"])

    def test_french_translations(self):
        checked = 0
        for addon in (
            "recurring_billing",
            "recurring_billing_stripe",
            "recurring_billing_dunning",
        ):
            path = get_module_path(addon)
            if not path:
                continue
            for entry in polib.pofile(f"{path}/i18n/fr.po"):
                texts = [entry.msgstr, *entry.msgstr_plural.values()]
                for text in filter(None, texts):
                    checked += 1
                    with self.subTest(addon=addon, msgid=entry.msgid[:60]):
                        self.assertFalse(self._faults(text), text)
        self.assertGreater(checked, 500)
