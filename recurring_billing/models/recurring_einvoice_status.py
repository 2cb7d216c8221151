# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models

#: The lifecycle statuses of an e-invoice in the French e-invoicing reform
#: (codes of the external specifications of the reform). Those marked
#: mandatory must be exchanged: deposited, rejected, refused, collected.
EINVOICE_STATUSES = [
    ("200", "Deposited"),
    ("201", "Issued by the Platform"),
    ("202", "Received by the Platform"),
    ("203", "Made Available"),
    ("204", "Taken Over"),
    ("205", "Approved"),
    ("206", "Partially Approved"),
    ("207", "Disputed"),
    ("208", "Suspended"),
    ("209", "Completed"),
    ("210", "Refused"),
    ("211", "Payment Sent"),
    ("212", "Collected"),
    ("213", "Rejected"),
]
STATUS_DEPOSITED = "200"
STATUS_REFUSED = "210"
STATUS_COLLECTED = "212"
STATUS_REJECTED = "213"


class RecurringEinvoiceStatus(models.Model):
    """One lifecycle status of an issued e-invoice, as a transmission platform
    reported it, as a payment set it ("collected", with the amount), or as a
    user recorded it. Append-only: the history of the invoice."""

    _name = "recurring.einvoice.status"
    _description = "E-Invoice Lifecycle Status"
    _order = "date desc, id desc"
    _check_company_auto = True

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    move_id = fields.Many2one(
        "account.move",
        string="Invoice",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    company_id = fields.Many2one(related="move_id.company_id", store=True)
    code = fields.Selection(EINVOICE_STATUSES, string="Status", required=True)
    date = fields.Date(required=True)
    source_type = fields.Selection(
        [
            ("connector", "Transmission Platform"),
            ("payment", "Payment"),
            ("user", "User"),
        ],
        string="Reported By",
        required=True,
    )
    source = fields.Char(
        required=True,
        help="The platform that reported the status, the payment that set it, "
        "or the user who recorded it.",
    )
    currency_id = fields.Many2one(related="move_id.currency_id", store=True)
    company_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Company Currency"
    )
    amount = fields.Monetary(
        string="Amount Collected",
        help="Collected: the amount received (negative when a payment is "
        "reversed or a credit note refunded), in the invoice's currency.",
    )
    amount_company = fields.Monetary(
        string="Amount Collected (Company Currency)",
        currency_field="company_currency_id",
    )
    payment_move_id = fields.Many2one(
        "account.move",
        string="Payment Entry",
        index="btree_not_null",
        ondelete="set null",
        check_company=True,
    )
    reference = fields.Char(help="The platform's reference of the e-invoice.")
    message = fields.Text(help="The reason of a rejection or a refusal...")
    report_key = fields.Char(
        required=True,
        readonly=True,
        help="What makes a report unique: the same status reported twice is "
        "recorded once.",
    )
    ereporting_line_ids = fields.One2many(
        "recurring.ereporting.line", "status_id", string="E-Reporting"
    )

    # ------------------------------------------------------------
    # SQL CONSTRAINTS
    # ------------------------------------------------------------

    _sql_constraints = [
        (
            "report_key_uniq",
            "UNIQUE (move_id, report_key)",
            "This status of this invoice is already recorded.",
        ),
    ]

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _get_chatter_text(self):
        """The line the invoice's chatter shows for this status."""
        self.ensure_one()
        label = dict(self._fields["code"]._description_selection(self.env))[self.code]
        text = self.env._(
            "E-invoice status: %(status)s (%(origin)s).",
            status=label,
            origin=self.source,
        )
        if self.message:
            text = f"{text}\n{self.message}"
        return text
