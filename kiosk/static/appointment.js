// A visitor with an appointment: the appointment screen (hold the QR code under the scanner, or type the
// booking reference on the keypad), the server's refusal on that screen with the way back (and, too late for
// the slot, a walk-in ticket for the same service), and the slot and party size on the ticket screen.
// The server checks everything (core/checkin.py); visible text comes from the page (server-translated).
import { numbering } from "/static/numerals.js";

const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);
const REQUEST_TIMEOUT_MS = 15000;
const REFERENCE_LENGTH = 6; // after the "RDV-" prefix; the keypad offers only the references' alphabet

let context = null; // { settings, show, showTicket } from kiosk.js
let typed = "";
let inFlight = false;

function strings() {
  return JSON.parse(document.getElementById("appointment-settings").textContent);
}

function referenceUrl() {
  return JSON.parse(document.getElementById("scanner-settings").textContent).referenceUrl;
}

function renderReference() {
  const field = byTestId("reference-field");
  field.textContent = field.dataset.prefix + typed;
  byTestId("reference-submit").disabled = inFlight || typed.length !== REFERENCE_LENGTH;
  byTestId("reference-backspace").disabled = inFlight || typed.length === 0;
}

function press(char) {
  if (inFlight || typed.length >= REFERENCE_LENGTH) return;
  typed += char;
  renderReference();
}

function backspace() {
  if (inFlight) return;
  typed = typed.slice(0, -1);
  renderReference();
}

function clearRefusal() {
  byTestId("appointment-refusal").hidden = true;
  byTestId("walk-in-offer").hidden = true;
}

// The walk-in button of the refused appointment's service, when the kiosk offers that service as walk-in.
function walkInButton(service) {
  if (!service) return null;
  return [...document.querySelectorAll('[data-kind="walk_in"]')].find((b) => b.dataset.service === service)
    || null;
}

function showRefusal(message, walkIn) {
  byTestId("appointment-message").textContent = message; // text, never HTML
  const offer = byTestId("walk-in-offer");
  offer.dataset.service = walkIn ? walkIn.dataset.service : "";
  offer.hidden = !walkIn;
  byTestId("appointment-refusal").hidden = false;
  if (!isOpen()) openScreen({ keepRefusal: true });
}

const isOpen = () => !byTestId("appointment-screen").hidden;

function openScreen({ keepRefusal = false } = {}) {
  if (!keepRefusal) clearRefusal();
  typed = "";
  renderReference();
  context.show("appointment-screen");
  byTestId("appointment-title").focus(); // a screen reader starts on the new screen, not the old button
}

function setBusy(busy) {
  inFlight = busy;
  byTestId("appointment-busy").hidden = !busy;
  renderReference();
}

async function submitReference(event) {
  event.preventDefault();
  if (inFlight || typed.length !== REFERENCE_LENGTH) return;
  const { settings } = context;
  const text = strings();
  clearRefusal();
  setBusy(true);
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), REQUEST_TIMEOUT_MS);
  let response;
  let data = null;
  try {
    response = await fetch(referenceUrl(), {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ reference: byTestId("reference-field").textContent, lang: settings.lang }),
      credentials: "same-origin",
      signal: abort.signal,
    });
    data = await response.json().catch(() => null);
  } catch {
    setBusy(false);
    return showRefusal(text.network, null);
  } finally {
    clearTimeout(timer);
  }
  setBusy(false);
  if (response.ok && data && data.ticket) return context.showTicket({ ok: true, ...data });
  if (response.status >= 500 || !data || !data.message) return showRefusal(text.server, null);
  return showAppointmentRefusal(data) || showRefusal(data.message, null);
}

// A refused appointment code (scanned or typed): its sentence on the appointment screen, and for a slot
// that has passed, the walk-in ticket of its service. False for any other refusal (the scanner's overlay).
// A payment in progress keeps its screen: the scanner's overlay tells the visitor instead.
export function showAppointmentRefusal(answer) {
  if (!context || document.body.dataset.hold) return false;
  if (!answer || typeof answer.error !== "string" || !answer.error.startsWith("appointment_")) return false;
  showRefusal(answer.message || strings().server, walkInButton(answer.details?.walk_in));
  return true;
}

function slotTime(slotAt, settings) {
  // "2026-12-02T09:20:00.000000Z": Date wants at most milliseconds.
  const moment = new Date(slotAt.replace(/(\.\d{3})\d+/, "$1"));
  if (Number.isNaN(moment.getTime())) return null;
  return new Intl.DateTimeFormat(settings.lang, {
    hour: "2-digit", minute: "2-digit", hourCycle: "h23", numberingSystem: numbering, timeZone: settings.timezone,
  }).format(moment);
}

// The sentence with its time kept left to right inside right-to-left text.
function fillTime(element, sentence, time) {
  const [before, after = ""] = sentence.split("{time}");
  const span = document.createElement("span");
  span.className = "ltr-number";
  span.textContent = time;
  element.replaceChildren(before, span, after);
}

// The ticket screen's appointment lines: its slot in the site's time zone, and the party it admits (the
// family rule: one ticket for the group). Hidden for a walk-in or pickup ticket.
export function showAppointmentFacts(data, settings) {
  const slot = byTestId("ticket-appointment");
  const persons = byTestId("ticket-persons");
  const ticket = data.ticket || {};
  const time = ticket.kind === "appointment" && ticket.slot_at ? slotTime(ticket.slot_at, settings) : null;
  const text = strings();
  slot.hidden = !time;
  if (time) fillTime(slot, text.slotAt, time);
  const sentence = text.persons[String(data.data?.appointment?.persons || 1)]; // 2 to 50 persons
  persons.hidden = !time || !sentence;
  persons.textContent = sentence || "";
}

export function startAppointments(kiosk) {
  context = kiosk;
  byTestId("appointment-button").addEventListener("click", () => openScreen());
  for (const key of byTestId("keypad").querySelectorAll("[data-key]")) {
    key.addEventListener("click", () => press(key.dataset.key));
  }
  byTestId("reference-backspace").addEventListener("click", backspace);
  byTestId("reference-form").addEventListener("submit", submitReference);
  byTestId("appointment-back").addEventListener("click", () => context.show("services-screen"));
  byTestId("walk-in-offer").addEventListener("click", (event) => {
    const button = walkInButton(event.currentTarget.dataset.service);
    if (!button) return;
    context.show("services-screen");
    button.click(); // the service's own flow: its fees first for a paid service, else the ticket
  });
  renderReference();
}
