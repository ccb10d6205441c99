// The supervisor's payments page: the day's ledger with its count per state, an unknown outcome settled from
// the terminal's journal, void and refund through the kiosk's terminal. Refetched after each action, on
// payment events, every 15 s, and every 2 s (for a while) when a payment is at a terminal.
// Reconciliation and its exceptions: payments_reconcile.js.
import { api, clearAlert, format, showAlert } from "./api.js";
import { confirmAction } from "./dialogs.js";
import { connectLive } from "/static/live.js";
import {
  actorName, askSettlement, cell, clock, code, isolated, money, setStatus, strings,
} from "./payments_forms.js";
import { allowReconciliation, initReconciliation, showExceptions } from "./payments_reconcile.js";

const LANG = document.documentElement.lang;
const REFRESH_MS = 15000;
const FOLLOW_MS = 2000;
const FOLLOW_LIMIT_MS = 240000; // longer than a terminal waits for a card (a refund needs the visitor's)
const EVENT_DEBOUNCE_MS = 200;
const STATES = ["unknown", "pending", "sent", "approved", "declined", "abandoned", "failed", "voided",
  "refunded"];
const AT_TERMINAL = new Set(["pending", "sent"]);
const $ = (id) => document.getElementById(id);

const view = { day: null, today: null, services: {}, me: null, shown: "" };
let generation = 0;
let followTimer = null;
let followSince = 0;
let refreshFailed = false;

// A state the page does not know is flagged like an unknown outcome: a person must look at it.
const flagged = (payment) => payment.state === "unknown" || !STATES.includes(payment.state);
const stateLabel = (state) => strings[`state_${state}`] || state;
const reversal = (payment) => payment.operation !== "payment";
const amount = (payment) => money(reversal(payment) ? -payment.amount_minor : payment.amount_minor,
  payment.currency, reversal(payment));

function serviceName(code) {
  const names = view.services[code] || {};
  return names[LANG] || names.fr || Object.values(names)[0] || code || "–";
}

function serviceText(payment) {
  if (payment.operation === "payment") return serviceName(payment.service);
  const template = payment.operation === "void" ? strings.void_of : strings.refund_of;
  return format(template, { reference: payment.original_reference });
}

async function refresh() {
  const mine = ++generation;
  const other = view.day && view.day !== view.today ? `?day=${encodeURIComponent(view.day)}` : "";
  try {
    const [ledger, exceptions] = await Promise.all([
      api("GET", `/api/payments${other}`), api("GET", `/api/payments/exceptions${other}`)]);
    if (mine !== generation) return; // a newer refresh is on its way
    if (!other) view.today = ledger.day; // asked without a day: the server's today (rolls over at midnight)
    view.day = ledger.day;
    $("payments-day").value = ledger.day;
    $("payments-day").max = view.today;
    allowReconciliation(view.day === view.today);
    showPayments(ledger);
    showExceptions(exceptions.exceptions);
    follow(ledger.payments);
    if (refreshFailed) clearAlert();
    refreshFailed = false;
  } catch (error) {
    if (mine !== generation) return;
    refreshFailed = true;
    showAlert(error.message);
  }
}

// While a payment is at a terminal, look again every 2 s, for at most FOLLOW_LIMIT_MS since it was seen.
function follow(payments) {
  clearTimeout(followTimer);
  const busy = payments.some((payment) => AT_TERMINAL.has(payment.state));
  if (!busy) { followSince = 0; return; }
  followSince ||= Date.now();
  if (Date.now() - followSince < FOLLOW_LIMIT_MS) followTimer = setTimeout(refresh, FOLLOW_MS);
}

function showPayments({ payments, states }) {
  const unknown = payments.filter(flagged).length;
  $("unknown-warning").hidden = unknown === 0;
  $("unknown-warning").textContent = format(strings.unknown_warning, { count: unknown });
  showCounts(states, payments.length);
  const key = JSON.stringify([payments, view.today, view.me?.id]);
  if (key === view.shown) return; // unchanged: keep the rows (and the keyboard focus) as they are
  view.shown = key;
  const focused = document.activeElement?.closest?.("#payments [data-action]")?.dataset.action;
  const ordered = [...payments.filter(flagged), ...payments.filter((payment) => !flagged(payment))];
  $("payments").replaceChildren(...ordered.map(paymentRow));
  $("payments-empty").hidden = payments.length > 0;
  if (focused) ($(`action-${focused}`) || $("status")).focus();
}

function showCounts(states, total) {
  const item = (state, label, count) => {
    const li = document.createElement("li");
    li.className = "state-count";
    li.dataset.state = state;
    li.append(Object.assign(document.createElement("span"), { textContent: label }), " ",
      Object.assign(document.createElement("strong"), { textContent: String(count) }));
    return li;
  };
  const known = STATES.filter((state) => states[state]);
  const others = Object.keys(states).filter((state) => !STATES.includes(state));
  $("state-counts").replaceChildren(item("total", strings.total, total),
    ...[...others, ...known].map((state) => item(state, stateLabel(state), states[state])));
}

function paymentRow(payment) {
  const row = document.createElement("tr");
  row.dataset.reference = payment.reference;
  row.dataset.state = payment.state;
  row.dataset.testid = "payment-row";
  row.classList.toggle("flagged", flagged(payment));
  // A payment voided or refunded before its eTimbre came gets none: "pending" only while approved.
  const etimbre = payment.etimbre ? code(payment.etimbre)
    : payment.etimbre_state === "pending" && payment.state === "approved" ? strings.etimbre_pending : "–";
  row.append(
    cell(clock(payment.created_at), "col-time"), cell(payment.kiosk || "–", "col-kiosk"),
    cell(serviceText(payment), "col-service"),
    cell(amount(payment), "col-amount number"), stateCell(payment), cell(code(payment.card), "col-card"),
    cell(code(payment.auth_code), "col-auth"), cell(code(payment.reference), "col-reference"),
    cell(etimbre, "col-etimbre"), cell(code(payment.ticket_number), "col-ticket"),
    actionsCell(payment),
  );
  return row;
}

function stateCell(payment) {
  const td = cell(Object.assign(document.createElement("span"), {
    className: "state-label", textContent: stateLabel(payment.state),
  }), "col-state");
  if (payment.note) {
    const who = actorName(payment.resolved_by, view.me);
    const note = Object.assign(document.createElement("small"), { className: "settled-note" });
    note.append(...isolated(strings.settled_by, { who, note: payment.note }));
    td.append(note);
  }
  return td;
}

function actionsCell(payment) {
  const td = Object.assign(document.createElement("td"), { className: "row-actions" });
  if (payment.state === "unknown") td.append(actionButton(payment, "settle", () => settle(payment)));
  if (payment.operation === "payment" && payment.state === "approved") {
    if (payment.day === view.today) td.append(actionButton(payment, "void", () => reverse(payment, "void")));
    td.append(actionButton(payment, "refund", () => reverse(payment, "refund")));
  }
  return td;
}

function actionButton(payment, action, onClick) {
  const button = document.createElement("button");
  button.type = "button";
  button.id = `action-${action}-${payment.reference}`;
  button.dataset.action = `${action}-${payment.reference}`;
  button.dataset.testid = action;
  if (action === "settle") button.className = "primary";
  if (action === "void" || action === "refund") button.className = "warn";
  button.append(strings[action], Object.assign(document.createElement("span"), {
    className: "visually-hidden", textContent: ` ${payment.reference}`,
  }));
  button.addEventListener("click", onClick);
  return button;
}

// The confirmation dialog of dialogs.js, its OK button named after the action.
async function confirm(question, okLabel) {
  $("confirm-dialog").querySelector("button[value=ok]").textContent = okLabel;
  return confirmAction(question);
}

async function act(call, done) {
  clearAlert();
  setStatus("");
  try {
    await call();
    setStatus(done);
  } catch (error) {
    showAlert(error.message);
  }
  followSince = Date.now();
  await refresh();
}

async function reverse(payment, operation) {
  const facts = { reference: payment.reference, kiosk: payment.kiosk,
    amount: money(payment.amount_minor, payment.currency) };
  if (!(await confirm(format(strings[`confirm_${operation}`], facts), strings[`${operation}_ok`]))) return;
  await act(() => api("POST", `/api/payments/${encodeURIComponent(payment.reference)}/${operation}`, {}),
    format(strings[`${operation}_sent`], facts));
}

async function settle(payment) {
  const body = await askSettlement(payment);
  if (!body) return;
  await act(() => api("POST", `/api/payments/${encodeURIComponent(payment.reference)}/resolve`, body),
    format(strings.settled, { reference: payment.reference }));
}

let eventTimer = null;
function scheduleRefresh() {
  clearTimeout(eventTimer);
  eventTimer = setTimeout(refresh, EVENT_DEBOUNCE_MS);
}

function onStatus(connected) {
  $("connection").hidden = connected;
  $("connection").textContent = connected ? "" : strings.offline;
}

async function start() {
  const [counters, me] = await Promise.all([
    api("GET", "/api/counters").catch(() => ({ services: {} })),
    api("GET", "/api/auth/me").catch(() => ({ user: null }))]);
  view.services = counters.services || {};
  view.me = me.user;
  initReconciliation({ me: view.me, onChange: refresh });
  $("payments-day").addEventListener("change", (event) => {
    if (!event.target.value) return;
    view.day = event.target.value;
    refresh();
  });
  $("payments-today").addEventListener("click", () => { view.day = view.today; refresh(); });
  document.querySelector("[data-alert-close]").addEventListener("click", clearAlert);
  await refresh();
  setInterval(refresh, REFRESH_MS);
  connectLive("/counter", {
    onEvent: (event) => { if (event.type.startsWith("payment.")) scheduleRefresh(); },
    onSnapshot: scheduleRefresh, onStatus,
  });
}

start();
