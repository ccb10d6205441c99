// The fees of a paid service, then the card payment on the terminal, then the ticket and the receipt.
// The server issues the ticket when the terminal approves, so this page only follows the payment; if the
// page is reloaded or the network drops, the visitor is never asked to pay twice.
// An appointment's fees are paid the same way after check-in (payTicket): the visitor already holds the
// ticket, so approval adds the receipt to the ticket screen, and a refusal leads back to that ticket.
import { numbering } from "/static/numerals.js";

const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);
const FOLLOW_WAIT_S = 8;
// Past the server's payment timeout plus the recovery's first attempts, the visitor is sent to a counter with
// the payment's reference (staff see it; it will never be charged twice) and the kiosk is free again.
const followLimitMs = (settings) => (settings.paymentTimeoutSeconds * 1.3 + 10) * 1000;
const UNSETTLED = new Set(["pending", "sent", "unknown"]);

let flow = null; // { choice, context, requestId, reference }; choice.ticketId when paying a ticket's fees

function itemRows(tbody, items) {
  tbody.replaceChildren(...items.map((item) => {
    const row = document.createElement("tr");
    const name = document.createElement("th");
    name.scope = "row";
    name.textContent = item.name;
    const amount = document.createElement("td");
    amount.className = "ltr-number";
    amount.textContent = item.amount;
    row.append(name, amount);
    return row;
  }));
}

export function openPayment(choice, context) {
  flow = { choice, context, requestId: context.newRequestId(), reference: null };
  byTestId("payment-service").textContent = choice.name;
  itemRows(byTestId("fee-items").querySelector("tbody"), choice.fees.items);
  byTestId("fee-total").textContent = choice.fees.total;
  context.show("payment-screen");
}

// The fees of the ticket on screen (a fresh appointment check-in), straight to the terminal: the ticket
// screen showed them. context: { settings, show, newRequestId, backToTicket }.
export function payTicket(offer, context) {
  flow = { choice: { ticketId: offer.ticketId, fees: offer.fees }, context, requestId: context.newRequestId(),
    reference: null };
  pay();
}

async function request(method, url, body) {
  const lang = encodeURIComponent(flow.context.settings.lang);
  const response = await fetch(`${url}${url.includes("?") ? "&" : "?"}lang=${lang}`, {
    method,
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: body ? JSON.stringify(body) : undefined,
    credentials: "same-origin",
  });
  const data = await response.json().catch(() => null);
  if (!response.ok) throw Object.assign(new Error(data?.message || ""), { status: response.status });
  return data;
}

function paying(data) {
  byTestId("paying-amount").textContent = flow.choice.fees.total;
  byTestId("paying-message").textContent = data.message;
  flow.context.show("paying-screen");
}

async function pay() {
  document.body.dataset.hold = "payment";
  byTestId("cancel-message").hidden = true;
  try {
    const what = flow.choice.ticketId ? { ticket_id: flow.choice.ticketId }
      : { service: flow.choice.service, priority: flow.choice.priority };
    let data = await request("POST", flow.context.settings.paymentsUrl, {
      ...what, request_id: flow.requestId, lang: flow.context.settings.lang,
    });
    flow.reference = data.payment.reference;
    paying(data);
    const limit = Date.now() + followLimitMs(flow.context.settings);
    while (UNSETTLED.has(data.payment.state) && Date.now() < limit) {
      data = await request("GET", `${flow.context.settings.paymentsUrl}/${flow.reference}?wait=${FOLLOW_WAIT_S}`);
      paying(data);
    }
    if (UNSETTLED.has(data.payment.state)) {
      failed(flow.context.settings.strings.paymentUnconfirmed.replace("{reference}", flow.reference), true);
      return;
    }
    settled(data);
  } catch (error) {
    // A refusal before anything was sent (409: terminal unavailable) says so; a lost connection must not
    // make the visitor pay again: staff can see the payment.
    failed(error.status ? error.message : flow.context.settings.strings.paymentNetwork, !error.status);
  } finally {
    delete document.body.dataset.hold;
  }
}

function settled(data) {
  if (data.payment.state === "approved" && data.ticket) {
    showReceipt(data);
    if (flow.choice.ticketId) flow.context.backToTicket(); // printed at check-in; the receipt prints now
    else flow.context.showTicket({ ...data.ticket, print: data.print });
    return;
  }
  failed(data.message, false);
}

// `unconfirmed`: the outcome is unknown (terminal or server lost): the visitor must neither pay again here nor
// take the "pay at the counter" path, which could charge twice; staff settle it from the reference.
function failed(message, unconfirmed) {
  const title = byTestId("payment-failed-title");
  title.textContent = unconfirmed ? title.dataset.unconfirmed : title.dataset.notPaid;
  byTestId("payment-failed-message").textContent = message;
  const ofTicket = Boolean(flow.choice.ticketId); // the visitor keeps the ticket: back to it, to pay at a counter
  byTestId("pay-again").hidden = unconfirmed;
  byTestId("pay-at-counter-after").hidden = unconfirmed || ofTicket;
  byTestId("payment-failed-back").hidden = ofTicket;
  byTestId("back-to-ticket").hidden = !ofTicket;
  flow.requestId = flow.context.newRequestId(); // a new attempt is a new payment, with its own reference
  flow.context.show("payment-failed-screen");
}

function showReceipt(data) {
  const payment = data.payment;
  const fees = data.fees || flow.choice.fees;
  itemRows(byTestId("receipt-items").querySelector("tbody"), fees.items);
  byTestId("receipt-total").textContent = fees.total;
  const paidAt = new Date(payment.updated_at);
  byTestId("receipt-date").textContent = new Intl.DateTimeFormat(flow.context.settings.lang, {
    dateStyle: "short", timeStyle: "short", timeZone: flow.context.settings.timezone, numberingSystem: numbering,
  }).format(paidAt);
  byTestId("receipt-card").textContent = payment.card || "–";
  byTestId("receipt-auth").textContent = payment.auth_code || "–";
  byTestId("receipt-reference").textContent = payment.reference;
  byTestId("receipt-etimbre").textContent = payment.etimbre || flow.context.settings.strings.etimbrePending;
  byTestId("receipt").hidden = false;
}

async function cancel() {
  if (!flow.reference) return;
  try {
    const data = await request("POST", `${flow.context.settings.paymentsUrl}/${flow.reference}/cancel`);
    byTestId("cancel-message").textContent = data.cancel_message;
    byTestId("cancel-message").hidden = !data.cancel_message;
  } catch (error) {
    byTestId("cancel-message").textContent = error.message;
    byTestId("cancel-message").hidden = false;
  }
}

function atCounter() {
  flow.context.issueAtCounter();
}

function back() {
  flow.context.show("services-screen");
  flow = null;
}

function backToTicket() {
  flow.context.backToTicket();
  flow = null;
}

byTestId("pay-card")?.addEventListener("click", pay);
byTestId("pay-again")?.addEventListener("click", pay);
byTestId("pay-cancel")?.addEventListener("click", cancel);
byTestId("pay-at-counter")?.addEventListener("click", atCounter);
byTestId("pay-at-counter-after")?.addEventListener("click", atCounter);
byTestId("payment-back")?.addEventListener("click", back);
byTestId("payment-failed-back")?.addEventListener("click", back);
byTestId("back-to-ticket")?.addEventListener("click", backToTicket);
