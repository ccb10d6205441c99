// The agent's desk: pick a counter, then call, recall, start, finish, mark no-show and transfer tickets.
// The waiting list follows the /counter namespace live: every event or snapshot triggers one refetch.
// An appointment ticket at the desk shows its appointment (only here: the server sends it to the counter that
// holds the ticket), with a warning when eConsulat cancels or moves it after the visitor checked in.
import { ApiError, api, clearAlert, format, pageStrings, showAlert } from "./api.js";
import { chooseTransferTarget, confirmAction, openDialog } from "./dialogs.js";
import { offerUndo, withdrawUndo } from "./no_show_undo.js";
import { siteTimeFormat } from "./site_time.js";
import { connectLive } from "/static/live.js";

const LANG = document.documentElement.lang;
const strings = pageStrings();
const REFRESH_DEBOUNCE_MS = 100;
const SLOW_SHOW_UP_SECONDS = 180; // after this long in "called", hint that a no-show may be due

const $ = (id) => document.getElementById(id);
const page = {
  me: null, counter: null, counters: [], services: {}, current: null, waiting: [],
  clockOffset: 0, busy: false, live: null,
};

// Which buttons each ticket state allows (core/states.py is the authority; this only greys out buttons).
const ALLOWED = {
  called: new Set(["recall", "start", "no-show", "transfer"]),
  serving: new Set(["finish", "transfer"]),
};

const serverNow = () => Date.now() + page.clockOffset;
const serviceName = (code) => {
  const names = page.services[code] || {};
  return names[LANG] || Object.values(names)[0] || code;
};
const clockTime = siteTimeFormat(`${LANG}-u-nu-latn`, { hour: "2-digit", minute: "2-digit" });
const dayAndTime = siteTimeFormat(`${LANG}-u-nu-latn`, {
  weekday: "long", day: "numeric", month: "long", hour: "2-digit", minute: "2-digit",
});
const DESK_TITLE = $("counter-label").textContent; // the page's heading until a counter is open
const personsText = (count) => (count === 1 ? strings.persons_one : format(strings.persons_many, { count }));

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function badges(ticket) {
  const marks = [];
  if (ticket.target_counter) marks.push(element("span", "badge transfer", strings.transferred_here));
  if (ticket.priority) marks.push(element("span", "badge priority", strings.priority));
  if (ticket.kind === "appointment") {
    const text = ticket.slot_at ? format(strings.appointment_at, { time: clockTime.format(new Date(ticket.slot_at)) })
      : strings.appointment;
    marks.push(element("span", "badge appointment", text));
  }
  if (ticket.kind === "pickup") marks.push(element("span", "badge pickup", strings.pickup));
  if (ticket.persons > 1) marks.push(element("span", "badge persons", personsText(ticket.persons)));
  return marks;
}

function setStatus(message) {
  $("status").textContent = message;
  clearTimeout(setStatus.timer);
  setStatus.timer = setTimeout(() => { $("status").textContent = ""; }, 8000);
}

function fail(error) {
  if (error instanceof ApiError && error.status === 401) { location.assign(`/login?lang=${LANG}`); return; }
  showAlert(error.message);
}

// --- the counter picker ---------------------------------------------------------------------------------
function renderPicker() {
  $("picker-grid").replaceChildren(...page.counters.map((counter) => {
    const taken = counter.open_by !== null && counter.open_by !== page.me.id;
    const button = element("button", `choice${taken ? " taken" : ""}`);
    button.type = "button";
    button.dataset.testid = `counter-option-${counter.number}`;
    button.disabled = taken;
    button.append(
      element("strong", "", format(strings.counter_number, { number: counter.number })),
      element("small", "", counter.services.map(serviceName).join(", ")),
      element("span", "availability", taken ? strings.counter_taken
        : counter.open_by === page.me.id ? strings.counter_yours : strings.counter_free),
    );
    button.addEventListener("click", () => perform(async () => {
      await api("POST", "/api/counter/open", { counter: counter.number });
      page.counter = counter.number;
      showDesk();
    }));
    return button;
  }));
}

async function loadCounters() {
  const data = await api("GET", "/api/counters");
  page.counters = data.counters;
  page.services = data.services;
}

// --- the desk -------------------------------------------------------------------------------------------
function renderCurrent() {
  const ticket = page.current;
  $("ticket").classList.toggle("empty", !ticket);
  $("ticket").dataset.state = ticket ? ticket.state : "";
  $("current-number").textContent = ticket ? ticket.number : "—";
  $("current-service").textContent = ticket ? serviceName(ticket.service) : "";
  $("current-badges").replaceChildren(...(ticket ? badges(ticket) : []));
  $("current-state").textContent = ticket ? strings[`state_${ticket.state}`] || ticket.state : "—";
  $("current-recalls").textContent = ticket ? String(ticket.recalls) : "—";
  $("current-fees").textContent = ticket?.fees?.text || "—";
  $("current-fees").classList.toggle("fees-due", Boolean(ticket?.fees && !ticket.fees.paid));
  $("ticket-empty").textContent = ticket ? "" : strings.no_ticket;
  renderAppointment(ticket?.appointment || null, ticket?.slot_at);
  tick();
}

function warningText(warning) {
  if (!warning) return "";
  if (warning.kind === "cancelled") return strings.warning_cancelled;
  return format(strings.warning_moved, { when: dayAndTime.format(new Date(warning.slot_start)) });
}

function renderAppointment(appointment, checkedInSlot) {
  $("appointment").hidden = !appointment;
  const warning = warningText(appointment?.warning);
  // Written only when it changes: the banner is an alert region, read out each time its text is set.
  if ($("appointment-warning").textContent !== warning) $("appointment-warning").textContent = warning;
  if ($("appointment").dataset.reference !== (appointment?.reference || "")) $("appointment").classList.remove("changed");
  $("appointment").dataset.reference = appointment?.reference || "";
  if (!appointment) return;
  const slot = checkedInSlot || appointment.slot_start;
  $("appointment-title").textContent = format(strings.appointment_title,
    { reference: appointment.reference, time: clockTime.format(new Date(slot)) });
  $("appointment-persons").textContent = personsText(appointment.persons);
  $("appointment-services").textContent = appointment.services.map(serviceName).join(", ");
  const documents = appointment.documents.map((code) => strings.documents[code] || code);
  $("appointment-documents").replaceChildren(...(documents.length ? documents : [strings.no_documents])
    .map((text) => element("li", "", text)));
  $("appointment-applicant").textContent = appointment.applicant || "—";
  $("appointment-note").hidden = appointment.source !== "token";
  $("appointment-note").textContent = appointment.source === "token" ? strings.not_synced : "";
}

function renderWaiting() {
  $("waiting-count").textContent = String(page.waiting.length);
  $("waiting-empty").hidden = page.waiting.length > 0;
  $("waiting-list").replaceChildren(...page.waiting.map((ticket) => {
    const item = element("li", "waiting-item");
    item.dataset.testid = "waiting-item";
    item.dataset.number = ticket.number;
    item.classList.toggle("priority", Boolean(ticket.priority));
    item.classList.toggle("appointment", ticket.kind === "appointment");
    const waited = element("span", "waited");
    waited.dataset.since = ticket.arrived_at;
    item.append(Object.assign(element("bdi", "number", ticket.number), { dir: "ltr" }), element("span", "service", serviceName(ticket.service)),
      element("span", "badges", ""), waited);
    item.querySelector(".badges").append(...badges(ticket));
    return item;
  }));
  tick();
}

function renderButtons() {
  const allowed = page.current ? ALLOWED[page.current.state] || new Set() : new Set();
  for (const button of document.querySelectorAll("[data-action]")) {
    button.disabled = page.busy || !allowed.has(button.dataset.action);
  }
  $("btn-transfer").disabled = page.busy || !allowed.has("transfer");
  $("btn-undo").disabled = page.busy;
  $("btn-next").disabled = page.busy || Boolean(page.current) || page.waiting.length === 0;
  $("btn-next").querySelector("[data-label]").textContent = page.waiting.length ? strings.call_next
    : strings.nobody_waiting;
}

function render() {
  $("counter-label").textContent = page.counter ? format(strings.counter_number, { number: page.counter }) : DESK_TITLE;
  const mine = page.counters.find((counter) => counter.number === page.counter);
  $("counter-services").textContent = mine ? mine.services.map(serviceName).join(" · ") : "";
  $("btn-close").hidden = !page.counter;
  renderCurrent();
  renderWaiting();
  renderButtons();
}

function minutesSince(iso) {
  return Math.max(0, Math.floor((serverNow() - Date.parse(iso)) / 60000));
}

function tick() {
  const ticket = page.current;
  const elapsed = ticket && ticket.called_at ? Math.max(0, Math.floor((serverNow() - Date.parse(ticket.called_at)) / 1000)) : null;
  const pad = (n) => String(n).padStart(2, "0");
  $("call-elapsed").textContent = elapsed === null ? "—"
    : `${elapsed >= 3600 ? `${Math.floor(elapsed / 3600)}:` : ""}${pad(Math.floor(elapsed / 60) % 60)}:${pad(elapsed % 60)}`;
  $("call-elapsed").classList.toggle("late", Boolean(ticket && ticket.state === "called" && elapsed > SLOW_SHOW_UP_SECONDS));
  for (const node of document.querySelectorAll("[data-since]")) {
    node.textContent = format(strings.waited_minutes, { minutes: minutesSince(node.dataset.since) });
  }
}

// --- loading --------------------------------------------------------------------------------------------
async function refresh() {
  if (!page.counter) {
    await loadCounters();
    renderPicker();
    return;
  }
  const sentAt = Date.now();
  try {
    const state = await api("GET", "/api/counter/state");
    page.clockOffset = Date.parse(state.now) - (sentAt + Date.now()) / 2;
    page.current = state.current;
    page.waiting = state.waiting;
    page.live?.advance(state.seq);
    render();
  } catch (error) {
    if (error instanceof ApiError && error.status === 400 && !page.busy) { page.counter = null; showPicker(); }
    throw error;
  }
}

// Coalesces bursts of events into one refetch; a change during a refetch schedules one more.
const scheduleRefresh = (() => {
  let timer = null;
  let running = false;
  let again = false;
  const run = async () => {
    if (running) { again = true; return; }
    running = true;
    try { await refresh(); } catch (error) { fail(error); }
    running = false;
    if (again) { again = false; scheduleRefresh(); }
  };
  return () => { clearTimeout(timer); timer = setTimeout(run, REFRESH_DEBOUNCE_MS); };
})();

function showPicker() {
  $("desk").hidden = true;
  $("picker").hidden = false;
  render();
  scheduleRefresh();
}

function showDesk() {
  $("picker").hidden = true;
  $("desk").hidden = false;
  render();
  scheduleRefresh();
}

// --- actions --------------------------------------------------------------------------------------------
async function perform(action) {
  if (page.busy) return; // one request at a time: a double click never calls two tickets
  page.busy = true;
  renderButtons();
  clearAlert();
  try {
    await action();
  } catch (error) {
    fail(error);
  } finally {
    page.busy = false;
    renderButtons();
    try { await refresh(); } catch (error) { fail(error); }
  }
}

async function callNext() {
  const { ticket } = await api("POST", "/api/counter/next");
  if (!ticket) setStatus(strings.nobody_to_call);
  else withdrawUndo(); // another ticket at the counter: the server would refuse the undo now
}

async function act(action) {
  const answer = await api("POST", `/api/counter/tickets/${encodeURIComponent(page.current.id)}/${action}`);
  if (action === "no-show") offerUndo(answer, (ticket) => perform(() => undoNoShow(ticket)));
}

async function undoNoShow(ticket) {
  await api("POST", `/api/counter/tickets/${encodeURIComponent(ticket.id)}/no-show/undo`);
  setStatus(format(strings.no_show_undone, { number: ticket.number }));
}

async function transfer() {
  const ticket = page.current;
  await loadCounters();
  const target = await chooseTransferTarget({
    ticket, services: Object.keys(page.services).sort((a, b) => serviceName(a).localeCompare(serviceName(b), LANG)),
    counters: page.counters, myCounter: page.counter,
    serviceName, strings,
  });
  if (!target) return;
  await api("POST", `/api/counter/tickets/${encodeURIComponent(ticket.id)}/transfer`, target);
  setStatus(format(strings.transferred, { number: ticket.number }));
}

async function leave(question, request) {
  if (page.current && !(await confirmAction(format(question, { number: page.current.number })))) return false;
  await request();
  return true;
}

function wireButtons() {
  $("btn-next").addEventListener("click", () => perform(callNext));
  for (const button of document.querySelectorAll("[data-action]")) {
    button.addEventListener("click", () => perform(() => act(button.dataset.action)));
  }
  $("btn-transfer").addEventListener("click", () => perform(transfer));
  $("btn-close").addEventListener("click", () => perform(async () => {
    if (await leave(strings.confirm_close, () => api("POST", "/api/counter/close"))) {
      withdrawUndo();
      page.counter = null;
      page.current = null;
      showPicker();
    }
  }));
  $("btn-logout").addEventListener("click", () => perform(async () => {
    if (await leave(strings.confirm_logout, () => api("POST", "/api/auth/logout"))) location.assign(`/login?lang=${LANG}`);
  }));
  document.querySelector("[data-alert-close]").addEventListener("click", clearAlert);
}

// N, R, S, F, X, T (and U while an undo is offered) press the matching button when it is enabled. Letters follow the key's label; on a
// non-Latin layout (Arabic) the physical key position is used instead.
function onKey(event) {
  if (event.key === "Escape") { openDialog()?.close(); return; }
  if (event.ctrlKey || event.metaKey || event.altKey || event.repeat || openDialog() || $("desk").hidden) return;
  if (event.target.closest("input, textarea, select, [contenteditable]")) return;
  const key = /^[a-z]$/i.test(event.key) ? event.key.toLowerCase() : event.code.replace(/^Key/, "").toLowerCase();
  const button = document.querySelector(`#desk [data-key="${key}"]`);
  if (button && !button.disabled && !button.closest("[hidden]")) {
    event.preventDefault();
    button.click();
  }
}

// Every event refreshes the desk; the refreshed state brings the warning when eConsulat changed the
// appointment of the ticket held here (an agent's desk hears of it by ticket only, never by booking
// reference): the panel is outlined.
function onEvent(event) {
  const held = page.current?.appointment ? page.current.id : null;
  if (event.type === "appointment.changed" && held && event.ticket_id === held) {
    $("appointment").classList.add("changed");
  }
  scheduleRefresh();
}

function onConnection(connected) {
  $("connection").hidden = connected;
  $("connection").textContent = connected ? "" : strings.offline;
  if (connected) scheduleRefresh();
}

async function start() {
  wireButtons();
  document.addEventListener("keydown", onKey);
  setInterval(tick, 1000);
  try {
    const me = await api("GET", "/api/auth/me");
    page.me = me.user;
    page.counter = me.counter;
    $("agent-name").textContent = me.user.display_name || me.user.username;
    await loadCounters();
    // No last seq on the first connect: the server answers with a snapshot, which triggers the first refresh.
    page.live = connectLive("/counter", { onEvent, onSnapshot: scheduleRefresh, onStatus: onConnection });
    if (page.counter) showDesk(); else showPicker();
  } catch (error) {
    fail(error);
  }
}

start();
