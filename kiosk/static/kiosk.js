// The kiosk's visitor flow after the language choice: service → ticket, one ticket per choice, idle reset.
// An appointment just checked in whose service has fees offers them on its ticket screen: pay now by card,
// or at the counter. Visible text comes from the page (server-translated); this module only moves between
// screens.
import { watchIdle } from "./idle.js";
import { endVisit, followIdle, idleHooks } from "./audio_assist.js";
import { followPrint } from "./print_status.js";
import { openPayment, payTicket } from "./payment.js";
import { showAppointmentFacts, startAppointments } from "./appointment.js";
import { followServices } from "./service_state.js";
import { watchDigits } from "/static/numerals.js";

const settings = JSON.parse(document.getElementById("kiosk-settings").textContent);
const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);
const REQUEST_TIMEOUT_MS = 15000;

// The choice being issued. A retry (or the same choice tapped again) resends the same request_id, so the
// server returns the ticket it may already have issued instead of a second one.
let pending = null;
let inFlight = false;

function newRequestId() {
  // getRandomValues works on plain http:// too, where crypto.randomUUID does not exist.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function show(name) {
  for (const screen of document.querySelectorAll(".flow-screen")) {
    screen.hidden = screen.dataset.testid !== name;
  }
  window.scrollTo(0, 0);
}

function setBusy(busy) {
  inFlight = busy;
  for (const button of byTestId("services-screen").querySelectorAll("button")) {
    button.disabled = busy || button.dataset.unavailable === "true"; // a paused service stays unavailable
  }
  byTestId("busy").hidden = !busy;
  byTestId("retry").disabled = busy;
}

function choose(button) {
  if (inFlight) return;
  const body = {
    service: button.dataset.service,
    kind: button.dataset.kind,
    lang: settings.lang,
    priority: byTestId("priority-toggle").getAttribute("aria-pressed") === "true",
  };
  const key = JSON.stringify(body);
  if (!pending || pending.key !== key) pending = { key, body: { ...body, request_id: newRequestId() } };
  if (button.dataset.fees) {
    // A paid service: the fees first; paying at the counter instead issues this same choice.
    openPayment({ service: button.dataset.service, name: button.querySelector(".service-name").textContent,
      fees: JSON.parse(button.dataset.fees), priority: body.priority }, { settings, show, showTicket, issueAtCounter: issue, newRequestId });
    return;
  }
  issue();
}

async function postJson(url, body) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), REQUEST_TIMEOUT_MS);
  try {
    return await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
      credentials: "same-origin",
      signal: abort.signal,
    });
  } finally {
    clearTimeout(timer);
  }
}

async function issue() {
  if (!pending || inFlight) return;
  setBusy(true);
  let response;
  let data = null;
  try {
    response = await postJson(settings.issueUrl, pending.body);
    data = await response.json().catch(() => null);
  } catch {
    return fail(settings.strings.network, true);
  }
  if (response.ok && data && data.ticket) {
    pending = null;
    return showTicket(data);
  }
  if (response.status >= 500 || !data || !data.message) return fail(settings.strings.server, true);
  pending = null; // refused: nothing was issued, a new choice gets a new id
  const nextStep = response.status === 401 || response.status === 403 ? "" : ` ${settings.strings.nextStep}`;
  return fail(data.message + nextStep, false);
}

function fail(message, canRetry) {
  setBusy(false);
  byTestId("error-message").textContent = message;
  byTestId("retry").hidden = !canRetry;
  show("error-screen");
}

// The fees of an appointment this very scan checked in (the check-in answer carries them; null when free),
// on a kiosk that takes cards. A ticket shown again, or already paid, offers nothing.
function offerFees(data) {
  const fees = data.data?.checked_in && settings.hasTerminal ? data.fees : null;
  byTestId("fee-offer").hidden = !fees;
  if (!fees) return;
  byTestId("fee-offer-total").textContent = fees.total;
  byTestId("pay-ticket-card").onclick = () => payTicket({ ticketId: data.ticket.id, fees },
    { settings, show, newRequestId, backToTicket });
}

function backToTicket() {
  byTestId("fee-offer").hidden = true;
  show("ticket-screen");
}

export function showTicket(data) {
  document.dispatchEvent(new CustomEvent("dour:ticket", { detail: data })); // what the audio guide reads out
  setBusy(false);
  byTestId("ticket-number").textContent = data.ticket.number;
  byTestId("ticket-service").textContent = data.ticket.service_name;
  byTestId("ticket-priority").hidden = !data.ticket.priority;
  byTestId("people-ahead").textContent = String(data.people_ahead);
  // The forecast's range ("Estimated wait: 15–25 min", core/forecasts.py), else the single figure.
  byTestId("wait-minutes").textContent = data.estimate ? `${data.estimate.low}–${data.estimate.high}`
    : String(data.wait_minutes);
  byTestId("ticket-qr").src = settings.qrUrl.replace("TICKET_ID", encodeURIComponent(data.ticket.id));
  showAppointmentFacts(data, settings);
  offerFees(data);
  show("ticket-screen");
  followPrint(data, settings);
}

// The screen holds (no idle warning, no reset) while a payment runs on the terminal, and while the ticket on
// screen is the visitor's only copy: printing, not printed (they photograph it or scan its QR code), or a
// kiosk without a printer. The visitor ends it with "Done"; a printed ticket, or one shown again, does not.
const SCREEN_ONLY_TICKET = new Set(["pending", "failed", "unknown", "none"]);

function isHeld() {
  if (document.body.dataset.hold) return true;
  return !byTestId("ticket-screen").hidden && SCREEN_ONLY_TICKET.has(document.body.dataset.printState);
}

function togglePriority(toggle) {
  const on = toggle.getAttribute("aria-pressed") !== "true";
  toggle.setAttribute("aria-pressed", String(on));
}

function start() {
  for (const button of document.querySelectorAll("[data-service]")) {
    button.addEventListener("click", () => choose(button));
  }
  const toggle = byTestId("priority-toggle");
  toggle.addEventListener("click", () => togglePriority(toggle));
  byTestId("retry").addEventListener("click", issue);
  byTestId("error-back").addEventListener("click", () => show("services-screen"));
  byTestId("pay-ticket-counter").addEventListener("click", () => { byTestId("fee-offer").hidden = true; });
  startAppointments({ settings, show, showTicket });
  followServices(settings);
  watchDigits();
  followIdle(watchIdle({
    idleSeconds: settings.idleSeconds,
    warningSeconds: settings.warningSeconds,
    overlay: byTestId("idle-warning"),
    countdown: byTestId("idle-countdown"),
    onExpire: () => {
      endVisit(); // the next visitor gets the kiosk's own text size, colours and no audio guide
      window.location.replace(settings.startUrl);
    },
    isHeld,
    ...idleHooks,
  }));
}

// A public touchscreen: no long-press menu. The start screen needs nothing else.
document.addEventListener("contextmenu", (event) => event.preventDefault());
if (settings.chosen) start();
// Until now a tap on a service would have been lost (no handler yet): kiosk.css kept the buttons untappable.
delete document.documentElement.dataset.starting;
