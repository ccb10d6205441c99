// End-of-day reconciliation: a kiosk terminal's totals for today beside the ledger's. When the terminal
// cannot report them (Concert has no totals message), the supervisor types the figures of its printed
// report. Then the day's exceptions, each resolved with a note that is kept with who and when.
import { api, clearAlert, format, serverNow, showAlert } from "./api.js";
import {
  actorName, askInDialog, cell, clock, code, config, decimal, isolated, money, noteProblem, parseAmount,
  parseCount, setStatus, strings,
} from "./payments_forms.js";

const KINDS = ["debit", "refund", "void"];
const MISMATCH = /^ledger (\d+) for (-?\d+), terminal (\d+) for (-?\d+)$/;
const $ = (id) => document.getElementById(id);
const form = $("reconcile-form");
const manual = $("manual-totals");
let me = null;
let changed = () => {};
let shown = "";

const figure = (count, minor) => format(strings.figure, { count, amount: money(minor) });
const kindLabel = (kind) => strings[`kind_${kind}`] || kind;

// `onChange` runs after each reconciliation or resolution (the page refetches what they changed).
export function initReconciliation(options) {
  me = options.me;
  changed = options.onChange;
  form.addEventListener("submit", (event) => { event.preventDefault(); reconcile(null); });
  manual.addEventListener("submit", (event) => {
    event.preventDefault();
    const totals = typedTotals();
    if (totals) reconcile(totals);
  });
  $("manual-totals-cancel").addEventListener("click", () => { manual.hidden = true; });
}

// Reconciliation compares today's totals only: another day's ledger can be read, not reconciled.
export function allowReconciliation(isToday) {
  form.querySelector("button[type=submit]").disabled = !isToday;
  $("reconcile-today-only").hidden = isToday;
  $("reconcile-today-only").textContent = isToday ? "" : strings.only_today;
  if (!isToday) manual.hidden = true;
}

async function reconcile(totals) {
  const kiosk = form.elements.kiosk.value;
  clearAlert();
  try {
    const answer = await api("POST", "/api/payments/reconciliation", totals ? { kiosk, totals } : { kiosk });
    manual.hidden = true;
    showResult(answer, kiosk);
    showExceptions(answer.exceptions);
    changed();
  } catch (error) {
    if (error.status === 409 && !totals) {
      askTotals(error.message);
    } else {
      showAlert(error.message);
    }
  }
}

function askTotals(why) {
  $("manual-totals-why").textContent = why;
  $("manual-totals-error").hidden = true;
  $("reconcile-result").hidden = true;
  manual.hidden = false;
  manual.elements.debit_count.focus();
}

function typedTotals() {
  const error = $("manual-totals-error");
  const fail = (field, message) => {
    error.textContent = message;
    error.hidden = false;
    field.setAttribute("aria-invalid", "true");
    field.focus();
    return null;
  };
  manual.querySelectorAll("[aria-invalid]").forEach((field) => field.removeAttribute("aria-invalid"));
  error.hidden = true;
  const totals = {};
  for (const kind of KINDS) {
    const count = manual.elements[`${kind}_count`];
    const amount = manual.elements[`${kind}_amount`];
    totals[`${kind}_count`] = parseCount(count.value);
    if (totals[`${kind}_count`] === null) return fail(count, strings.count_invalid);
    totals[`${kind}_minor`] = parseAmount(amount.value);
    if (totals[`${kind}_minor`] === null) {
      return fail(amount, format(strings.amount_invalid, { example: decimal(12050) }));
    }
  }
  return totals;
}

function showResult(answer, kiosk) {
  let same = true;
  for (const kind of KINDS) {
    const ours = [answer.ledger[`${kind}_count`], answer.ledger[`${kind}_minor`]];
    const theirs = [answer.terminal_totals[`${kind}_count`], answer.terminal_totals[`${kind}_minor`]];
    const matches = ours[0] === theirs[0] && ours[1] === theirs[1];
    const row = document.querySelector(`#totals tr[data-kind="${kind}"]`);
    row.querySelector(".ledger").textContent = figure(...ours);
    row.querySelector(".terminal").textContent = figure(...theirs);
    row.querySelector(".match").textContent = matches ? strings.same : strings.differs;
    row.classList.toggle("differs", !matches);
    same &&= matches;
  }
  const verdict = $("reconcile-verdict");
  const outcome = answer.balanced ? "balanced" : same ? "open_items" : "totals_differ";
  verdict.textContent = strings[outcome];
  verdict.className = `verdict ${answer.balanced ? "balanced" : "unbalanced"}`;
  const time = clock(new Date(serverNow()).toISOString()); // the server's clock, not this PC's
  $("reconcile-caption").textContent = format(strings.reconciled, { kiosk, time });
  $("reconcile-result").hidden = false;
}

export function showExceptions(list) {
  const key = JSON.stringify(list);
  if (key === shown) return;
  shown = key;
  const focused = document.activeElement?.closest?.("#exceptions [data-exception]")?.dataset.exception;
  $("exceptions").replaceChildren(...list.map(exceptionRow));
  $("exceptions-empty").hidden = list.length > 0;
  if (focused) document.querySelector(`#exceptions [data-exception="${focused}"]`)?.focus();
}

function detail(item) {
  const mismatch = MISMATCH.exec(item.detail || "");
  if (mismatch) {
    const [, ourCount, ourMinor, theirCount, theirMinor] = mismatch.map(Number);
    const ours = figure(ourCount, ourMinor);
    return format(strings.detail_mismatch, { ours, theirs: figure(theirCount, theirMinor) });
  }
  if (item.kind === "etimbre_pending") return ""; // its detail is always "approved": the kind says it all
  return strings[`state_${item.detail}`] || item.detail || "";
}

function exceptionRow(item) {
  const row = document.createElement("tr");
  row.dataset.id = String(item.id);
  row.dataset.kind = item.kind;
  row.dataset.testid = "exception-row";
  row.className = item.resolved_at ? "exception resolved" : "exception open";
  const mismatch = item.kind.endsWith("_mismatch");
  row.append(
    cell(clock(item.found_at), "col-time"), cell(item.terminal.split(":").pop(), "col-kiosk"),
    cell(kindLabel(item.kind), "col-kind"), cell(code(item.reference), "col-reference"),
    cell(money(item.amount_minor, config.currency, mismatch), "col-amount number"),
    cell(detail(item), "col-detail"),
    resolution(item),
  );
  return row;
}

function resolution(item) {
  const td = Object.assign(document.createElement("td"), { className: "col-resolution" });
  if (item.resolved_at) {
    td.append(...isolated(strings.resolved, {
      who: actorName(item.resolved_by, me), time: clock(item.resolved_at), note: item.note,
    }));
    return td;
  }
  const open = Object.assign(document.createElement("span"), {
    className: "open-label", textContent: strings.open,
  });
  const button = document.createElement("button");
  button.type = "button";
  button.dataset.testid = "exception-resolve";
  button.dataset.exception = String(item.id);
  button.append(strings.resolve, hidden(` ${kindLabel(item.kind)} ${item.reference || ""}`));
  button.addEventListener("click", () => resolve(item));
  td.append(open, " ", button);
  return td;
}

function hidden(text) {
  return Object.assign(document.createElement("span"), { className: "visually-hidden", textContent: text });
}

async function resolve(item) {
  const data = await askInDialog($("resolve-dialog"), noteProblem, () => {
    $("resolve-title").textContent = format(strings.resolve_title, { kind: kindLabel(item.kind) });
    $("resolve-facts").textContent = [item.reference, money(item.amount_minor), detail(item)]
      .filter(Boolean).join(" · ");
  });
  if (!data) return;
  clearAlert();
  try {
    await api("POST", `/api/payments/exceptions/${item.id}/resolve`, { note: data.get("note").trim() });
    setStatus(strings.exception_resolved);
  } catch (error) {
    showAlert(error.message);
  }
  changed();
}
