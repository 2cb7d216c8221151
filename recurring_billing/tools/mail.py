# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Emails from mail templates posted by the jobs, many records in a row."""


def post_template_message(
    records,
    mail_template,
    email_layout_xmlid="mail.mail_notification_layout",
    context=None,
    **values,
):
    """Post ``mail_template`` on each of ``records`` for its recipients, with
    Odoo's composer in comment mode, as ``message_post_with_source`` does;
    the emails are queued for Odoo's mail queue, never sent inside the
    transaction.

    ``message_post_with_source`` gives each record's composer a context of its
    own (``default_res_ids``): a job that emails thousands of records makes
    several new environments per record, which live on in the transaction
    (reference cycles, freed only by the garbage collector), and each new
    environment is compared with all the others, so that each record costs
    more than the one before. The composer gets the record in its values
    instead.

    :param dict context: added to the composer's context, the same for all
    :param values: more values of the composer (``attachment_ids``,
        ``author_id``...)
    :return: the messages posted
    """
    env = records.env
    messages = env["mail.message"]
    if not mail_template or not records:
        return messages
    Composer = env["mail.compose.message"].with_context(
        mail_notify_force_send=False, **(context or {})
    )
    subtype_id = env["ir.model.data"]._xmlid_to_res_id("mail.mt_comment")
    for record in records:
        composer = Composer.create(
            {
                "composition_mode": "comment",
                "model": record._name,
                "res_ids": str(record.ids),
                "template_id": mail_template.id,
                "message_type": "notification",
                "subtype_id": subtype_id,
                "email_layout_xmlid": email_layout_xmlid,
                **values,
            }
        )
        messages |= composer._action_send_mail()[1]
    return messages
