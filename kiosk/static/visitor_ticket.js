// The visitor's live ticket on a phone. A public page: it polls the ticket's JSON (no Socket.IO, no cookies)
// and stops once the ticket is finished. Sentences come from the page, translated by the server.

const settings = JSON.parse(document.getElementById("ticket-settings").textContent);
const FINAL_STATES = new Set(["done", "no_show", "cancelled"]);
const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);
let state = settings.state;
let timer = 0;
let inFlight = false;

function stateSentence(ticket) {
  const sentence = settings.strings[ticket.state] || "";
  return sentence.replace("{counter}", String(ticket.counter ?? ""));
}

// The waiting-time range ("about 15–25 min", core/forecasts.py) in place of the single figure, when known.
function showRange(minutes, range, estimate) {
  minutes.parentElement.hidden = Boolean(estimate);
  range.hidden = !estimate;
  range.textContent = estimate
    ? settings.strings.range.replace("{low}", estimate.low).replace("{high}", estimate.high) : "";
}

function render(data) {
  const ticket = data.ticket;
  const atCounter = ticket.state === "called" || ticket.state === "serving";
  byTestId("visitor-ticket").className = `page visitor-ticket state-${ticket.state}`;
  byTestId("ticket-number").textContent = ticket.number;
  byTestId("ticket-service").textContent = ticket.service_name;
  byTestId("ticket-counter").hidden = !atCounter;
  byTestId("counter-number").textContent = atCounter ? String(ticket.counter) : "";
  byTestId("waiting-facts").hidden = ticket.state !== "waiting";
  byTestId("people-ahead").textContent = String(data.people_ahead);
  byTestId("wait-minutes").textContent = String(data.wait_minutes);
  showRange(byTestId("wait-minutes"), byTestId("wait-range"), data.estimate);
  const sentence = stateSentence(ticket);
  if (byTestId("ticket-state").textContent !== sentence) byTestId("ticket-state").textContent = sentence;
  document.title = atCounter ? `${ticket.number} → ${ticket.counter}` : ticket.number;
  if (ticket.state === "called" && state !== "called" && navigator.vibrate) navigator.vibrate([300, 150, 300]);
  state = ticket.state;
}

function stamp() {
  const now = new Date();
  const time = byTestId("updated-at");
  time.dateTime = now.toISOString();
  time.textContent = now.toLocaleTimeString(settings.lang, { hour: "2-digit", minute: "2-digit" });
}

async function refresh() {
  if (inFlight) return;
  inFlight = true;
  try {
    const response = await fetch(settings.statusUrl, {
      headers: { Accept: "application/json" }, cache: "no-store", credentials: "omit",
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    render(await response.json());
    stamp();
    byTestId("refresh-error").hidden = true;
  } catch {
    byTestId("refresh-error").hidden = false;
  } finally {
    inFlight = false;
    schedule();
  }
}

function schedule() {
  clearTimeout(timer);
  if (!FINAL_STATES.has(state)) timer = setTimeout(refresh, settings.pollSeconds * 1000);
}

// A phone wakes up with stale timers: refresh at once when the page is shown again.
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible" && !FINAL_STATES.has(state)) refresh();
});
stamp();
schedule();
