# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import os
from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.tests import new_test_user

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

#: Set by the test runner of ``tasks.py test`` (``tests/pytest_groups.py``)
#: to the id of a company that :func:`prepare_french_company` committed in
#: the test process's own copy of the database.
PREPARED_COMPANY_ENV = "RECURRING_BILLING_TEST_COMPANY_ID"
PREPARED_COMPANY_NAME = "company_1_data"


def prepare_french_company(env):
    """Create the company each test class of :class:`RecurringBillingCommon`
    would create for itself (Odoo's ``_create_company`` with the country of
    ``setup_country("fr")``, then the French chart of accounts), so that it
    is created once per test process instead of once per class: loading the
    chart is most of a class's set-up. The caller commits it; each class
    then changes it only in its own transaction, rolled back at its end, so
    each class finds it as new."""
    country = env.ref("base.fr")
    company = env["res.company"].create(
        {
            "name": PREPARED_COMPANY_NAME,
            "country_id": country.id,
            "currency_id": country.currency_id.id,
        }
    )
    env["account.chart.template"].try_loading("fr", company=company, install_demo=False)
    company.currency_id = country.currency_id
    return company


#: The groups of the users who run subscriptions, by role.
ROLE_GROUPS = {
    "salesman": "sales_team.group_sale_salesman",
    "sales_admin": "sales_team.group_sale_manager",
    # Odoo gives internal users Contact Creation by default; the sending
    # wizard records the customer's preferred sending method.
    "billing": "account.group_account_invoice,base.group_partner_manager",
    "accountant": "account.group_account_user,account.group_account_invoice",
    "portal": "base.group_portal",
}


class RecurringBillingCommon(AccountTestInvoicingCommon):
    """A French company (French chart, 20 % VAT) selling two subscription
    products and a one-off set-up fee."""

    @classmethod
    def setup_independent_company(cls, **kwargs):
        """The company prepared for this test process, when there is one."""
        prepared = os.environ.get(PREPARED_COMPANY_ENV)
        if (
            prepared
            and not kwargs
            and cls.country_code == "FR"
            and not cls.chart_template
        ):
            company = cls.env["res.company"].browse(int(prepared)).exists()
            if company.name == PREPARED_COMPANY_NAME and company.chart_template == "fr":
                cls.env.user.company_ids = [Command.link(company.id)]
                return company
        return super().setup_independent_company(**kwargs)

    @classmethod
    @AccountTestInvoicingCommon.setup_country("fr")
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.company.partner_id.write(
            {
                "street": "12 rue de la Paix",
                "zip": "75002",
                "city": "Paris",
                "phone": "+33 1 84 60 00 00",
                "email": "facturation@nuage-libre.example",
                "vat": "FR23334175221",
            }
        )
        cls.env["res.partner.bank"].create(
            {
                "acc_number": "FR7630006000011234567890189",
                "partner_id": cls.company.partner_id.id,
                "allow_out_payment": True,
            }
        )
        cls.tax_20 = cls.company_data["default_tax_sale"]
        cls.plan_monthly = cls.env["recurring.plan"].create(
            {
                "name": "Monthly",
                "billing_period_value": 1,
                "billing_period_unit": "month",
            }
        )
        cls.plan_quarterly = cls.env["recurring.plan"].create(
            {
                "name": "Quarterly",
                "billing_period_value": 3,
                "billing_period_unit": "month",
            }
        )
        cls.plan_yearly = cls.env["recurring.plan"].create(
            {"name": "Yearly", "billing_period_value": 1, "billing_period_unit": "year"}
        )
        cls.product_cloud = cls._create_product(
            name="Cloud hosting",
            type="service",
            lst_price=30.0,
            recurring_invoice=True,
            invoice_policy="order",
        )
        cls.product_seat = cls._create_product(
            name="User seat",
            type="service",
            lst_price=12.0,
            recurring_invoice=True,
            invoice_policy="order",
        )
        cls.product_setup = cls._create_product(
            name="Set-up fee",
            type="service",
            lst_price=100.0,
            invoice_policy="order",
        )
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Boulangerie Martin",
                "street": "3 place du Marché",
                "zip": "69002",
                "city": "Lyon",
                "country_id": cls.env.ref("base.fr").id,
                "vat": "FR44732829320",
            }
        )
        cls.template_monthly = cls.env["sale.order.template"].create(
            {
                "name": "Cloud monthly",
                # Shared by every company, as quotation templates may be.
                "company_id": False,
                "plan_id": cls.plan_monthly.id,
                "sale_order_template_line_ids": [
                    Command.create({"product_id": cls.product_cloud.id}),
                    Command.create(
                        {"product_id": cls.product_seat.id, "product_uom_qty": 3}
                    ),
                ],
            }
        )

        # Yearly, 12-month fixed term renewed automatically, reminded 30 days before.
        cls.template_yearly_fixed = cls.template_monthly.copy(
            {
                "name": "Cloud yearly, 12-month term",
                "plan_id": cls.plan_yearly.id,
                "term_type": "fixed",
                "term_duration": 12,
                "renewal_reminder_days": 30,
            }
        )

    @classmethod
    def _create_role_user(cls, role, login, **kwargs):
        """A user of the test company with the groups of ``role`` (a key of
        ``ROLE_GROUPS``)."""
        return new_test_user(
            cls.env,
            login,
            groups=ROLE_GROUPS[role],
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
            **kwargs,
        )

    @classmethod
    def _create_subscription(
        cls, start, template=None, lines=None, confirm=True, **vals
    ):
        """A subscription starting on ``start``; by default 1 x 30.00 + 3 x 12.00."""
        template = template if template is not None else cls.template_monthly
        if lines is None:
            lines = [(cls.product_cloud, 1), (cls.product_seat, 3)]
        order = cls.env["sale.order"].create(
            {
                "partner_id": cls.customer.id,
                "sale_order_template_id": template.id,
                "subscription_start_date": start,
                "order_line": [
                    Command.create({"product_id": product.id, "product_uom_qty": qty})
                    for product, qty in lines
                ],
                **vals,
            }
        )
        if confirm:
            with freeze_time(start):
                order.action_confirm()
        return order

    def _run_engine(self, day, batch_size=100):
        """Run the recurring-invoicing job as if today were ``day``, to the end."""
        moves = self.env["account.move"]
        SaleOrder = self.env["sale.order"]
        Invoicing = self.env["recurring.invoicing"]
        with freeze_time(day):
            for _call in range(50):
                moves |= Invoicing._cron_recurring_invoice(batch_size=batch_size)
                if not SaleOrder.search_count(
                    SaleOrder._get_subscriptions_to_invoice_domain()
                ):
                    break
        return moves

    def assertPeriods(self, moves, expected):
        """``expected``: [(invoice_date, period_start, period_end), ...] in order."""
        moves = moves.sorted(lambda move: (move.invoice_date, move.id))
        self.assertEqual(
            [
                (
                    move.invoice_date,
                    move.subscription_period_start,
                    move.subscription_period_end,
                )
                for move in moves
            ],
            [tuple(date.fromisoformat(d) for d in row) for row in expected],
        )
