/** @odoo-module **/
// Copyright 2026 Recurring Billing for Odoo contributors
// License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
// Subscribing online with Odoo's demo payment provider. The Python tests
// (tests/test_signup_tour.py) create the data, start each tour and check the
// database afterwards.

import {registry} from "@web/core/registry";

/** Odoo's payment form with the demo provider: a card that goes through. */
function payWithDemo(submitLabel) {
    return [
        {
            content: "The demo provider's form",
            trigger: "input[name='o_payment_radio']",
            run: "click",
        },
        {
            content: "A card number",
            trigger: "#customer_input",
            run: "edit 4242",
        },
        {
            content: submitLabel,
            trigger: `button[name='o_payment_submit_button']:contains(${submitLabel}):enabled`,
            run: "click",
        },
    ];
}

function fillDetails(details) {
    return Object.entries(details).map(([field, value]) => ({
        content: `Fill in ${field}`,
        trigger: `.o_signup_form [name='${field}']`,
        run: `edit ${value}`,
    }));
}

registry.category("web_tour.tours").add("recurring_signup_company", {
    steps: () => [
        {
            content: "The offer, its price per period excl. and incl. VAT",
            trigger: ".o_signup_amount_total:contains(79.20)",
        },
        {
            content: "Add the Backup add-on",
            trigger: ".o_signup_form label:contains(Backup) + input",
            run: "edit 1",
        },
        {
            content: "Update the price",
            trigger: ".o_signup_update_price",
            run: "click",
        },
        {
            content: "The server's new price: 71.00 excl. VAT, 85.20 incl.",
            trigger: ".o_signup_amount_untaxed:contains(71.00)",
        },
        {
            trigger: ".o_signup_amount_total:contains(85.20)",
        },
        {
            content: "A company",
            trigger: "#customer_type_company",
            run: "click",
        },
        ...fillDetails({
            contact_name: "Julie Morel",
            email: "julie@atelier-morel.example",
            company_name: "Atelier Morel",
            siret: "732 829 320 00017",
            vat: "FR44732829320",
            street: "8 rue des Tanneurs",
            zip: "67000",
            city: "Strasbourg",
        }),
        {
            content: "Accept the terms",
            trigger: "#accept_terms",
            run: "click",
        },
        {
            content: "Continue to payment",
            trigger: ".o_signup_submit",
            run: "click",
        },
        {
            content: "The payment page: the price again",
            trigger: ".o_signup_pay_page .o_signup_amount_total:contains(85.20)",
        },
        ...payWithDemo("Pay"),
        {
            content: "The subscription is taken",
            trigger: ".o_signup_done",
        },
    ],
});

registry.category("web_tour.tours").add("recurring_signup_consumer_trial", {
    steps: () => [
        {
            content: "A free trial is offered",
            trigger: ".o_signup_trial",
        },
        {
            content: "A consumer",
            trigger: "#customer_type_person",
            run: "click",
        },
        ...fillDetails({
            contact_name: "Paul Girard",
            email: "paul.girard@example.com",
            street: "3 allée des Tilleuls",
            zip: "44000",
            city: "Nantes",
        }),
        {
            content: "Accept the terms",
            trigger: "#accept_terms",
            run: "click",
        },
        {
            content: "Ask for the service to start now (L221-25, L221-28)",
            trigger: "#start_now",
            run: "click",
        },
        {
            content: "Continue to payment",
            trigger: ".o_signup_submit",
            run: "click",
        },
        ...payWithDemo("Save and start my trial"),
        {
            content: "The trial has started",
            trigger: ".o_signup_done",
        },
    ],
});

registry.category("web_tour.tours").add("recurring_signup_quotation", {
    steps: () => [
        {
            content: "Sign and pay the quotation",
            trigger: "a:contains(Sign & Pay)",
            run: "click",
        },
        {
            content: "Choose a signature style",
            trigger: ".modal .o_web_sign_auto_select_style button",
            run: "click",
        },
        {
            trigger: ".o-dropdown-item:eq(3)",
            run: "click",
        },
        {
            content: "Sign",
            trigger: ".modal .o_portal_sign_submit:enabled",
            run: "click",
        },
        ...payWithDemo("Pay"),
        {
            // The subscription's page, where the payment leads once done (the
            // quotation's page matched before the payment was made).
            content: "The order is confirmed and paid",
            trigger: ".o_subscription_plan",
        },
    ],
});
