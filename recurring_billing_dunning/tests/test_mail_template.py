# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.tests import tagged

from .common import RecurringDunningCommon


@tagged("post_install", "-at_install")
class TestDunningMailTemplate(RecurringDunningCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partner_a.name = "Camille Durand"
        cls.invoice = cls._create_subscription_invoice()
        cls.templates = (
            cls.env.ref("recurring_billing_dunning.mail_template_dunning_reminder")
            | cls.env.ref("recurring_billing_dunning.mail_template_dunning_retry")
            | cls.env.ref("recurring_billing_dunning.mail_template_dunning_suspend")
        )

    def test_default_levels(self):
        levels = (
            self.env["recurring.dunning.level"]
            .sudo()
            .search([("company_id", "=", self.env.ref("base.main_company").id)])
        )
        self.assertEqual(
            [(lvl.delay_days, lvl.action, lvl.mail_template_id) for lvl in levels],
            list(
                zip(
                    [3, 10, 20],
                    ["reminder", "retry", "suspend"],
                    self.templates,
                    strict=True,
                )
            ),
        )
        self.assertEqual(set(self.templates.mapped("model")), {"account.move"})

    def test_templates_render_for_invoice(self):
        for template in self.templates:
            with self.subTest(template=template.name):
                body = template._render_field("body_html", self.invoice.ids)[
                    self.invoice.id
                ]
                self.assertIn("Camille Durand", body)
                self.assertIn(self.invoice.name, body)
                self.assertIn(self.subscription.name, body)
                self.assertIn(f"/logo.png?company={self.env.company.id}", body)
                self.assertIn(self.invoice.get_portal_url(), body)
                subject = template._render_field("subject", self.invoice.ids)[
                    self.invoice.id
                ]
                self.assertIn(self.env.company.name, subject)
                self.assertEqual(
                    template._render_field("partner_to", self.invoice.ids)[
                        self.invoice.id
                    ],
                    str(self.partner_a.id),
                )

    def test_templates_translated_in_french(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._get(
            "recurring_billing_dunning"
        )._update_translations(["fr_FR"], overwrite=True)
        self.partner_a.lang = "fr_FR"
        for template in self.templates:
            with self.subTest(template=template.name):
                body = template._render_field(
                    "body_html", self.invoice.ids, compute_lang=True
                )[self.invoice.id]
                self.assertIn("Bonjour Camille Durand", body)
                self.assertIn("Payer la facture en ligne", body)
                self.assertIn(self.invoice.name, body)
                subject = template._render_field(
                    "subject", self.invoice.ids, compute_lang=True
                )[self.invoice.id]
                self.assertIn(f"{self.env.company.name} : ", subject)
        self.assertEqual(
            self.env.ref("recurring_billing_dunning.dunning_level_retry")
            .sudo()
            .with_context(lang="fr_FR")
            .name,
            "Nouvelle tentative de paiement",
        )
