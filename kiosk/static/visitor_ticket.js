// The visitor's live ticket on a phone. A public page: it polls the ticket's JSON (no Socket.IO, no cookies)
// and stops once the ticket is finished. Sentences come from the page, translated by the server.
import { numbering, watchDigits } from "/static/numerals.js";

const settings = JSON.parse(document.getElementById("ticket-settings").textContent);
const FINAL_STATES = new Set(["done", "no_show", "cancelled"]);
const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);
let state = settings.state;
let timer = 0;
let inFlight = false;

// The state's sentence, its counter number isolated (<bdi>): it keeps its place in Arabic.
function showState(ticket) {
  const sentence = settings.strings[ticket.state] || "";
  const counter = String(ticket.counter ?? "");
  const node = byTestId("ticket-state");
  if (node.textContent === sentence.replace("{counter}", counter)) return;
  const [before, after] = sentence.split("{counter}");
  if (after === undefined) node.textContent = sentence;
  else node.replaceChildren(before, Object.assign(document.createElement("bdi"), { dir: "ltr", textContent: counter }),
    after);
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
  showState(ticket);
  // First-strong isolates (U+2068 … U+2069): a title cannot hold a <bdi>.
  document.title = atCounter ? `\u2068${ticket.number}\u2069 → \u2068${ticket.counter}\u2069` : ticket.number;
  if (ticket.state === "called" && state !== "called" && navigator.vibrate) navigator.vibrate([300, 150, 300]);
  state = ticket.state;
}

function stamp() {
  const now = new Date();
  const time = byTestId("updated-at");
  time.dateTime = now.toISOString();
  time.textContent = now.toLocaleTimeString(settings.lang, { hour: "2-digit", minute: "2-digit", numberingSystem: numbering });
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
watchDigits();
stamp();
schedule();
