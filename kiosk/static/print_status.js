// What the visitor is told about the paper ticket: printing…, take it, or (printer out of order) keep the
// on-screen ticket. The server answers as soon as the printer has, waiting at most a few seconds per call.
const POLL_WAIT_S = 8;
const MAX_POLLS = 3;
const printAgain = () => document.querySelector('[data-testid="print-again"]');
let current = null; // { id, settings }: the ticket on screen

function showState(state, message) {
  // "none": this kiosk has no printer (the QR caption says what to do); "unknown": the answer was lost,
  // so the visitor is told to keep the on-screen ticket; "scanned": a ticket shown again from its QR code.
  // Elements list the states they belong to: data-print="failed scanned".
  const shown = state === "unknown" ? "failed" : state;
  for (const element of document.querySelectorAll("[data-print]")) {
    element.hidden = !element.dataset.print.split(" ").includes(shown);
  }
  if (!current?.settings.hasPrinter) printAgain().hidden = true;
  const notPrinted = document.querySelector('[data-testid="not-printed"]');
  if (shown === "failed") notPrinted.textContent = message;
  document.body.dataset.printState = state; // for tests and styling; not a [data-print] element
}

async function poll(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
  if (!response.ok) throw new Error(String(response.status));
  return response.json();
}

// "Print my ticket": once the printer works again, a visitor whose ticket did not print (or who scans the
// QR code on their phone) gets it on paper; the server refuses a ticket that already printed.
async function reprint() {
  const { id, settings } = current;
  printAgain().disabled = true;
  const url = `${settings.reprintUrl.replace("TICKET_ID", encodeURIComponent(id))}` +
    `?lang=${encodeURIComponent(settings.lang)}`;
  try {
    const response = await fetch(url, { method: "POST", headers: { Accept: "application/json" },
      credentials: "same-origin" });
    const answer = await response.json().catch(() => ({}));
    if (response.ok) return followPrint({ ticket: { id }, print: { state: "pending" } }, settings);
    showState("failed", answer.message || settings.strings.notPrinted);
    printAgain().hidden = true;
  } catch {
    showState("failed", settings.strings.notPrinted);
  } finally {
    printAgain().disabled = false;
  }
}

printAgain()?.addEventListener("click", reprint);

export async function followPrint(data, settings) {
  current = { id: data.ticket.id, settings };
  let print = data.print || { state: "unknown" };
  const url = `${settings.printUrl.replace("TICKET_ID", encodeURIComponent(data.ticket.id))}` +
    `?wait=${POLL_WAIT_S}&lang=${encodeURIComponent(settings.lang)}`;
  for (let attempt = 0; print.state === "pending" && attempt < MAX_POLLS; attempt += 1) {
    showState("pending");
    try {
      print = await poll(url);
    } catch {
      print = { state: "unknown", message: settings.strings.notPrinted };
    }
  }
  if (print.state === "pending") print = { state: "unknown", message: settings.strings.notPrinted };
  showState(print.state, print.message || settings.strings.notPrinted);
}
