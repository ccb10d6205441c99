// The kiosk's QR scanner, page side. Codes come from the server's serial scanner, pushed on the /kiosk
// namespace, or from a keyboard-wedge scanner caught here and posted to /api/kiosk/scans. The server checks
// every code the same way (core/scans.py); this module only shows its answer: the ticket screen, or the
// server's sentence for a refused code, which then goes away by itself (a refused appointment code is
// explained on the appointment screen instead, once the visitor has chosen a language: appointment.js).
import { showTicket } from "./kiosk.js";
import { showAppointmentRefusal } from "./appointment.js";
import { listenForWedgeScans } from "./wedge.js";

const settings = JSON.parse(document.getElementById("scanner-settings").textContent);
const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);
const MESSAGE_MS = 8000;
const PENDING_TICKET = "dour.scannedTicket";
// What the scan added (an appointment's party) and, for an appointment it just checked in, its print job and
// its fees (offered on the ticket screen).
const PENDING_DATA = "dour.scannedData";
let messageTimer = 0;

function hideMessage() {
  clearTimeout(messageTimer);
  byTestId("scan-message").hidden = true;
}

function showMessage(text) {
  byTestId("scan-message-text").textContent = text; // text, never HTML
  byTestId("scan-message").hidden = false;
  clearTimeout(messageTimer);
  messageTimer = setTimeout(hideMessage, MESSAGE_MS);
}

function showAnswer(answer) {
  document.body.dataset.lastScan = answer.ok ? answer.kind : answer.error || "refused";
  if (!answer.ok) {
    if (settings.chosen && showAppointmentRefusal(answer)) return hideMessage();
    return showMessage(answer.message || settings.strings.server);
  }
  if (!answer.ticket) return showMessage(settings.strings.server);
  hideMessage();
  if (settings.chosen) return showTicket(answer);
  // The start screen has no ticket screen: open the visitor flow, which shows the ticket (below).
  sessionStorage.setItem(PENDING_TICKET, answer.ticket.id);
  const print = answer.data?.checked_in ? answer.print : null;
  const fees = answer.data?.checked_in ? answer.fees || null : null;
  sessionStorage.setItem(PENDING_DATA, JSON.stringify({ data: answer.data || {}, print, fees }));
  window.location.assign(settings.chosenUrl);
}

async function request(url, options) {
  try {
    const response = await fetch(url, { credentials: "same-origin", ...options });
    const data = await response.json().catch(() => null);
    if (!data) return { ok: false, message: settings.strings.server };
    return response.ok ? { ok: true, ...data } : { ok: false, ...data };
  } catch {
    return { ok: false, message: settings.strings.network };
  }
}

async function postScan(code, source) {
  showAnswer(await request(settings.scanUrl, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ code, source, lang: settings.lang }),
  }));
}

async function showPendingTicket() {
  const id = sessionStorage.getItem(PENDING_TICKET);
  if (!id || !settings.chosen) return;
  const { data = {}, print = null, fees = null } = JSON.parse(sessionStorage.getItem(PENDING_DATA) || "{}");
  sessionStorage.removeItem(PENDING_TICKET);
  sessionStorage.removeItem(PENDING_DATA);
  const url = `${settings.ticketUrl.replace("TICKET_ID", encodeURIComponent(id))}?lang=${settings.lang}`;
  const answer = await request(url, { headers: { Accept: "application/json" } });
  showAnswer(answer.ok ? { ...answer, kind: "ticket", data, fees, print: print || { state: "scanned" } } : answer);
}

function connectScanner() {
  const socket = io(settings.namespace, { auth: { lang: settings.lang } });
  // A pause or the walk-in stop (and a reconnect, which may have missed one): service_state.js refreshes.
  const floorChanged = (detail) => document.dispatchEvent(new CustomEvent("dour:floor", { detail }));
  socket.on("connect", () => { document.body.dataset.scanner = "connected"; floorChanged({}); });
  socket.on("floor", floorChanged);
  socket.on("disconnect", () => { document.body.dataset.scanner = "disconnected"; });
  socket.on("scan", showAnswer);
}

byTestId("scan-message").addEventListener("click", hideMessage);
listenForWedgeScans({ layout: settings.wedgeLayout, onScan: (code) => postScan(code, "wedge") });
connectScanner();
showPendingTicket();
