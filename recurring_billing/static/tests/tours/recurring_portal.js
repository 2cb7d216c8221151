/** @odoo-module **/
// Copyright 2026 Recurring Billing for Odoo contributors
// License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
// Subscribers on the customer portal. The Python tests (tests/test_portal_tour.py)
// create the data, start each tour and check the database afterwards.

import {registry} from "@web/core/registry";

/** Fetch a link and check the server answers a PDF download. */
async function checkPdfDownload() {
    const response = await fetch(this.anchor.getAttribute("href"));
    const disposition = response.headers.get("Content-Disposition") || "";
    if (!response.ok || !disposition.includes(".pdf")) {
        throw new Error(`No PDF: ${response.status} ${disposition}`);
    }
}

registry.category("web_tour.tours").add("recurring_portal_view_upgrade", {
    steps: () => [
        {
            content: "Open the subscriptions from the portal home",
            trigger: "a[href='/my/subscriptions']",
            run: "click",
        },
        {
            content: "Open the subscription",
            trigger: ".o_subscription_row a:contains(/^S\\d+/)",
            run: "click",
        },
        {
            content: "Its plan, next invoice and lines are shown",
            trigger: ".o_subscription_plan:contains(Monthly)",
        },
        {
            trigger: ".o_subscription_next_invoice",
        },
        {
            trigger: ".o_subscription_lines td:contains(User seat)",
        },
        {
            content: "Download the invoice",
            trigger: ".o_subscription_invoices .o_subscription_invoice_pdf:first",
            run: checkPdfDownload,
        },
        {
            content: "Change the subscription",
            trigger: "a.o_subscription_change",
            run: "click",
        },
        {
            content: "Two more seats",
            trigger: ".o_subscription_change_form tr:contains(User seat) input",
            run: "edit 5",
        },
        {
            content: "See the prorated amount",
            trigger: "button.o_subscription_preview",
            run: "click",
        },
        {
            content: "The engine's preview is shown before confirming",
            trigger: ".o_subscription_change_preview .o_subscription_preview_total",
        },
        {
            trigger: ".o_subscription_change_preview td:contains(3 → 5)",
        },
        {
            content: "Confirm",
            trigger: "button.o_subscription_change_confirm",
            run: "click",
        },
        {
            content: "Changed",
            trigger: ".o_subscription_notice[data-notice=changed]",
        },
        {
            trigger: ".o_subscription_lines tr:contains(User seat) td:contains(5)",
        },
    ],
});

registry.category("web_tour.tours").add("recurring_portal_pause_cancel", {
    steps: () => [
        {
            content: "Pause",
            trigger: "button.o_subscription_pause",
            run: "click",
        },
        {
            trigger: ".o_subscription_notice[data-notice=paused]",
        },
        {
            trigger: ".o_subscription_state[data-state=paused]",
        },
        {
            content: "Resume",
            trigger: "button.o_subscription_resume",
            run: "click",
        },
        {
            trigger: ".o_subscription_notice[data-notice=resumed]",
        },
        {
            trigger: ".o_subscription_state[data-state=active]",
        },
        {
            content: "Click 1: cancel my contract",
            trigger: "a.o_subscription_cancel",
            run: "click",
        },
        {
            content: "A reason, optional",
            trigger: ".o_subscription_cancel_reason select[name=reason_id]",
            run: "selectByIndex 1",
        },
        {
            content: "Click 2: continue to the summary",
            trigger: "button.o_subscription_cancel_next",
            run: "click",
        },
        {
            content: "The summary shows the end date",
            trigger: ".o_subscription_cancel_summary .o_subscription_cancel_date",
        },
        {
            content: "Click 3: confirm",
            trigger: "button.o_subscription_cancel_confirm",
            run: "click",
        },
        {
            content: "Cancelled, the confirmation is on its way",
            trigger: ".o_subscription_notice[data-notice=cancelled]",
        },
        {
            trigger: ".o_subscription_state[data-state=to_close]",
        },
    ],
});

registry.category("web_tour.tours").add("recurring_portal_public_request", {
    steps: () => [
        {
            trigger: ".o_subscription_public_cancel input[name=name]",
            run: "edit Boulangerie Martin",
        },
        {
            trigger: ".o_subscription_public_cancel input[name=email]",
            run: "edit compta@boulangerie-martin.example",
        },
        {
            trigger: ".o_subscription_public_cancel input[name=reference]",
            run() {
                // The reference is given by the Python test in the page's URL.
                const reference = new URLSearchParams(window.location.search).get(
                    "ref"
                );
                this.anchor.value = reference;
            },
        },
        {
            trigger: "button.o_subscription_public_request",
            run: "click",
        },
        {
            content: "The same answer whether the contract exists or not",
            trigger: ".o_subscription_public_sent",
        },
    ],
});

registry.category("web_tour.tours").add("recurring_portal_public_confirm", {
    steps: () => [
        {
            content: "The emailed link shows the summary",
            trigger: ".o_subscription_cancel_summary .o_subscription_cancel_date",
        },
        {
            trigger: "button.o_subscription_cancel_confirm",
            run: "click",
        },
        {
            trigger: ".o_subscription_public_done",
        },
    ],
});

registry.category("web_tour.tours").add("recurring_portal_replace_card", {
    steps: () => [
        {
            content: "The subscription's card is shown",
            trigger: ".o_subscription_token_digits:contains(1111)",
        },
        {
            content: "Replace it",
            trigger: "a.o_subscription_payment_method_update",
            run: "click",
        },
        {
            content: "Odoo's payment form, in validation mode: the card number",
            trigger: ".o_subscription_payment_method_form input[name=customer_input]",
            run: "edit 4242",
        },
        {
            content: "Save",
            trigger: "button[name=o_payment_submit_button]:not(:disabled)",
            run: "click",
        },
        {
            content: "Back on the subscription, with the new card",
            trigger: ".o_subscription_notice[data-notice=payment_method]",
        },
        {
            trigger: ".o_subscription_token_digits:contains(4242)",
        },
    ],
});

registry.category("web_tour.tours").add("recurring_portal_switch_offer", {
    steps: () => [
        {
            content: "Change the subscription",
            trigger: "a.o_subscription_change",
            run: "click",
        },
        {
            content: "The offers of the template, with their price",
            trigger: ".o_subscription_offers label:contains(Premium hosting)",
        },
        {
            content: "Choose Premium",
            trigger: ".o_subscription_offers .form-check:contains(Premium hosting) input",
            run: "click",
        },
        {
            content: "See the prorated amount",
            trigger: "button.o_subscription_preview",
            run: "click",
        },
        {
            content: "Cloud goes, Premium comes, before confirming",
            trigger: ".o_subscription_change_preview tr:contains(Cloud hosting) td:contains(1 → 0)",
        },
        {
            trigger: ".o_subscription_change_preview tr:contains(Premium hosting) td:contains(0 → 1)",
        },
        {
            content: "Confirm",
            trigger: "button.o_subscription_change_confirm",
            run: "click",
        },
        {
            content: "Changed",
            trigger: ".o_subscription_notice[data-notice=changed]",
        },
        {
            trigger: ".o_subscription_lines td:contains(Premium hosting)",
        },
    ],
});

registry.category("web_tour.tours").add("recurring_portal_consumer_texts", {
    steps: () => [
        {
            content: "A cancelled contract: its status in the customer's words",
            trigger: ".o_subscription_state[data-state=to_close]:contains(Résiliation prévue le)",
        },
        {
            content: "A credit note is a credit note",
            trigger: ".o_subscription_invoice_status:contains(Avoir)",
        },
        {
            content: "No back-office state, no refund that did not happen",
            trigger: "#subscription_invoices",
            run() {
                const text = document.body.innerText;
                for (const word of ["Rembours", "À clôturer", "To Close"]) {
                    if (text.includes(word)) {
                        throw new Error(`"${word}" is shown to the customer`);
                    }
                }
            },
        },
        {
            content: "Back to the subscriptions",
            trigger: ".breadcrumb a[href='/my/subscriptions']",
            run: "click",
        },
        {
            content: "The contract with a minimum commitment",
            trigger: ".o_subscription_row:has(.o_subscription_state[data-state=active]) a",
            run: "click",
        },
        {
            trigger: "a.o_subscription_cancel",
            run: "click",
        },
        {
            trigger: "button.o_subscription_cancel_next",
            run: "click",
        },
        {
            content: "The summary says what is still invoiced, and until when",
            trigger: ".o_subscription_billing_left:contains(Vous serez encore facturé 10 fois 79,20)",
        },
        {
            trigger: ".o_subscription_billing_left:contains(TTC jusqu'au)",
        },
    ],
});
