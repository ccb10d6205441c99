// What the visitor is told about the paper ticket: printing…, take it, or (printer out of order) keep the
// on-screen ticket. The server answers as soon as the printer has, waiting at most a few seconds per call.
const POLL_WAIT_S = 8;
const MAX_POLLS = 3;

function showState(state, message) {
  // "none": this kiosk has no printer (the QR caption says what to do); "unknown": the answer was lost,
  // so the visitor is told to keep the on-screen ticket.
  const shown = state === "unknown" ? "failed" : state;
  for (const element of document.querySelectorAll("[data-print]")) {
    element.hidden = element.dataset.print !== shown;
  }
  const notPrinted = document.querySelector('[data-testid="not-printed"]');
  if (shown === "failed") notPrinted.textContent = message;
  document.body.dataset.printState = state; // for tests and styling; not a [data-print] element
}

async function poll(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
  if (!response.ok) throw new Error(String(response.status));
  return response.json();
}

export async function followPrint(data, settings) {
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
