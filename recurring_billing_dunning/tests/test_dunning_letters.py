# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""One letter per customer: the invoices of one customer at one step the same
day go out as one email (and one formal notice) listing them."""

from datetime import date

from odoo.tests import tagged
from odoo.tools import html2plaintext

from .common import RecurringDunningCommon


@tagged("post_install", "-at_install")
class TestDunningLetters(RecurringDunningCommon):
    def setUp(self):
        super().setUp()
        self.other_customer = self.env["res.partner"].create(
            {
                "name": "Fromagerie Dubois",
                "email": "compta@fromagerie-dubois.example",
                "is_company": True,
            }
        )
        subscriptions = [self._create_subscription("2026-01-05") for _i in range(3)]
        other = self._create_subscription(
            "2026-01-05", partner_id=self.other_customer.id
        )
        invoices = self._run_engine("2026-01-05")
        self.invoices = invoices.filtered(
            lambda m: m.subscription_id in subscriptions
        ).sorted("id")
        self.other_invoice = invoices.filtered(lambda m: m.subscription_id == other)
        self.assertEqual(len(self.invoices), 3)
        self.assertEqual(len(self.other_invoice), 1)
        self.assertEqual(
            set((self.invoices | self.other_invoice).mapped("invoice_date_due")),
            {date(2026, 1, 5)},
        )

    def _letters(self, history, partner, step):
        return history.filtered(
            lambda h: h.partner_id == partner and h.step_id == step
        ).mail_message_id

    def test_one_email_per_customer_and_step(self):
        friendly = self._step(self.policy_manual, "email", 0)
        second = self._step(self.policy_manual, "email", 1)
        # A batch of two: the customer's third invoice joins its letter.
        history = self._dun("2026-01-06", batch_size=2)
        history |= self._dun("2026-01-08", batch_size=2)
        self.assertEqual(len(history), 4)
        self.assertEqual(set(history.mapped("date")), {date(2026, 1, 8)})
        letter = self._letters(history, self.customer, friendly)
        self.assertEqual(len(letter), 1)
        self.assertEqual(letter.res_id, self.invoices[0].id)
        self.assertEqual(letter.partner_ids, self.customer)
        for invoice in self.invoices[1:]:
            self.assertIn(invoice.name, letter.body)
        self.assertIn("237.60", letter.body)
        self.assertEqual(
            history.filtered(lambda h: h.partner_id == self.customer).mapped(
                "email_sent"
            ),
            [True, True, True],
        )
        other_letter = self._letters(history, self.other_customer, friendly)
        self.assertEqual(len(other_letter), 1)
        self.assertEqual(other_letter.partner_ids, self.other_customer)
        self.assertNotIn(self.invoices[0].name, other_letter.body)
        self.assertNotIn("also about", other_letter.body)

        history = self._dun_days("2026-01-09", "2026-01-15")
        self.assertEqual(len(history), 4)
        self.assertEqual(len(self._letters(history, self.customer, second)), 1)
        self.assertEqual(len(self._letters(history, self.other_customer, second)), 1)
        self.assertEqual(
            len(
                self.env["mail.message"].search(
                    [
                        ("model", "=", "account.move"),
                        ("res_id", "in", self.invoices.ids),
                        ("partner_ids", "in", self.customer.ids),
                    ]
                )
            ),
            2,
        )

    def test_one_suspension_email_and_one_formal_notice(self):
        history = self._dun_days("2026-01-06", "2026-02-03")
        history |= self._dun("2026-02-04", force_report_rendering=True)
        history = history.sorted("id")
        mine = history.filtered(lambda h: h.partner_id == self.customer)
        self.assertEqual(
            [
                (h.date, h.action, len(h.mail_message_id))
                for h in mine
                if h.move_id == self.invoices[0]
            ],
            [
                (date(2026, 1, 8), "email", 1),
                (date(2026, 1, 15), "email", 1),
                (date(2026, 1, 22), "email", 1),
                (date(2026, 1, 25), "suspend", 1),
                (date(2026, 1, 30), "pause", 0),
                (date(2026, 2, 4), "notice", 1),
            ],
        )
        # Five letters for three invoices: one per step with an email.
        self.assertEqual(len(mine.mail_message_id), 5)
        self.assertEqual(len(mine), 18)
        notice = mine.filtered(lambda h: h.action == "notice")
        self.assertEqual(len(notice.mail_message_id), 1)
        self.assertEqual(len(notice.mail_message_id.attachment_ids), 1)
        text = self.pdf_text(notice.mail_message_id.attachment_ids.raw)
        # 79.20 x 12.15 % x 30 / 365 = 0.79 each, 40.00 of indemnity each.
        for invoice in self.invoices:
            self.assertIn(f"{invoice.name} 01/05/2026 30 79.20 € 0.79 € 40.00 €", text)
        self.assertIn("Total to pay 359.97 €", text)
        self.assertNotIn(self.other_invoice.name, text)
        other = history.filtered(lambda h: h.partner_id == self.other_customer)
        self.assertEqual(len(other.mail_message_id), 5)

    def test_letter_in_the_customers_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(
            ["recurring_billing_dunning"], ["fr_FR"]
        )
        self.customer.lang = "fr_FR"
        history = self._dun_days("2026-01-06", "2026-01-08")
        letter = self._letters(
            history, self.customer, self._step(self.policy_manual, "email", 0)
        )
        self.assertEqual(len(letter), 1)
        text = " ".join(html2plaintext(letter.body).split())
        self.assertIn("Ce message concerne aussi vos autres factures au même", text)
        self.assertIn(
            f"{self.invoices[1].name}, échue le 05/01/2026 : 79,20 € restant à payer",
            text,
        )
        self.assertIn("Total restant à payer : 237,60 €", text)

    def test_template_without_the_list_sends_one_email_per_invoice(self):
        """A template edited before the letters listed their invoices (here
        a copy without the list) is sent once per invoice, so that no
        invoice goes unmentioned."""
        friendly = self._step(self.policy_manual, "email", 0)
        template = friendly.mail_template_id.copy(
            {"body_html": "<p>Invoice <t t-out='object.name'/> is unpaid.</p>"}
        )
        friendly.mail_template_id = template
        history = self._dun_days("2026-01-06", "2026-01-08")
        mine = history.filtered(lambda h: h.partner_id == self.customer)
        self.assertEqual(len(mine), 3)
        self.assertEqual(len(mine.mail_message_id), 3)
        self.assertEqual(
            sorted(mine.mail_message_id.mapped("res_id")), sorted(self.invoices.ids)
        )
        self.assertEqual(mine.mapped("email_sent"), [True, True, True])

    def test_pause_offers_go_one_per_subscription(self):
        """Each subscription has its own pause link: the offers of one
        customer's three subscriptions are three emails."""
        self.template_monthly.dunning_allow_pause = True
        history = self._dun_days("2026-01-06", "2026-01-30")
        offers = history.filtered(
            lambda h: h.partner_id == self.customer and h.action == "pause"
        )
        self.assertEqual(len(offers), 3)
        self.assertEqual(set(offers.mapped("date")), {date(2026, 1, 30)})
        self.assertEqual(len(offers.mail_message_id), 3)
        for offer in offers:
            self.assertEqual(offer.mail_message_id.res_id, offer.move_id.id)
            self.assertIn(offer._get_pause_url(), offer.mail_message_id.body)
        # The other steps still went as one letter each.
        others = history.filtered(
            lambda h: h.partner_id == self.customer and h.action != "pause"
        )
        self.assertEqual(len(others.mail_message_id), 4)
