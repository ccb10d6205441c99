// The desk's payment lookup: a visitor shows a payment reference (a receipt, or a kiosk that could not
// confirm the payment); the agent sees what Dour knows of it, and is told never to charge again when the
// outcome is unknown.
import { api, format } from "./api.js";

const strings = JSON.parse(document.getElementById("lookup-strings").textContent);
const form = document.getElementById("lookup-form");
const result = document.getElementById("lookup-result");

function describe(answer) {
  const payment = answer.payment;
  if (payment.state === "unknown" || payment.state === "sent") return strings.unknown;
  return format(strings.found, {
    amount: answer.amount, state: strings[payment.state] || payment.state,
    ticket: answer.ticket_number || "–", etimbre: payment.etimbre || strings.pending,
  });
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const reference = form.elements.reference.value.trim().toUpperCase();
  try {
    const answer = await api("GET", `/api/payments/${encodeURIComponent(reference)}`);
    result.textContent = describe(answer);
    result.dataset.state = answer.payment.state;
  } catch (error) {
    result.textContent = error.message;
    result.dataset.state = "error";
  }
});
