// The supervisor's "Closing the day" panel: what the close would end, a confirmation that says it, then the
// day's summary as kept on the server; and the tickets the last close carried over (core/day_close.py).
import { api, actThenRefresh, format } from "./api.js";
import { confirmAction } from "./dialogs.js";
import { siteTimeFormat } from "./site_time.js";

const strings = JSON.parse(document.getElementById("day-close-strings").textContent);
const LANG = document.documentElement.lang;
const locale = `${LANG}-u-nu-latn`;
const clock = siteTimeFormat(locale, { hour: "2-digit", minute: "2-digit" });
const longDay = new Intl.DateTimeFormat(locale, { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
const REFRESH_MS = 30000;
const $ = (id) => document.getElementById(id);

let view = null;
let serviceNames = {};

function money(minor, currency) {
  const formatter = new Intl.NumberFormat(locale, { style: "currency", currency });
  const digits = formatter.resolvedOptions().maximumFractionDigits;
  return formatter.format(minor / 10 ** digits);
}

function fact(term, value, testid) {
  const dt = Object.assign(document.createElement("dt"), { textContent: term });
  const dd = Object.assign(document.createElement("dd"), { textContent: value });
  dd.dataset.testid = testid;
  return [dt, dd];
}

function paymentsText(summary) {
  const byState = summary.payments.by_operation.payment || {};
  const parts = Object.entries(byState).map(([state, row]) =>
    `${strings[`pay_${state}`] || state}: ${row.count} · ${money(row.amount_minor, row.currency)}`);
  return parts.join(" — ") || strings.none;
}

function minutes(value) {
  return value === null || value === undefined ? "–" : String(value);
}

function wait(figures) {
  return format(strings.waits_value, { p50: minutes(figures.p50), p90: minutes(figures.p90),
                                       max: minutes(figures.max), count: figures.count });
}

function serviceRows(summary) {
  return Object.entries(summary.tickets.by_service).map(([code, kinds]) => {
    const total = { issued: 0, served: 0, no_show: 0, cancelled: 0, carried: 0 };
    for (const counts of Object.values(kinds)) for (const key of Object.keys(total)) total[key] += counts[key];
    const row = document.createElement("tr");
    row.dataset.service = code;
    const figures = summary.waits.by_service[code] || { count: 0, p50: null, p90: null, max: null };
    for (const text of [serviceNames[code] || code, total.issued, total.served, total.no_show, total.cancelled,
      total.carried, wait(figures)]) {
      row.append(Object.assign(document.createElement("td"), { textContent: String(text) }));
    }
    return row;
  });
}

function renderSummary(summary) {
  const t = summary.tickets;
  $("day-summary-facts").replaceChildren(
    ...fact(strings.tickets, format(strings.tickets_value, t), "summary-tickets"),
    ...fact(strings.waits, wait(summary.waits.all), "summary-waits"),
    ...fact(strings.leftovers, format(strings.leftovers_value, summary.leftovers), "summary-leftovers"),
    ...fact(strings.appointments, format(strings.appointments_value, summary.appointments),
            "summary-appointments"),
    ...fact(strings.payments, paymentsText(summary), "summary-payments"),
    ...fact(strings.exceptions, summary.payments.open_exceptions.length
      ? format(strings.exceptions_value, { count: summary.payments.open_exceptions.length }) : strings.none,
    "summary-exceptions"),
    ...fact(strings.counters, summary.counters_closed.join(", ") || strings.none, "summary-counters"),
  );
  $("day-summary-services").replaceChildren(...serviceRows(summary));
  $("day-summary").hidden = false;
}

function renderCarried(carried) {
  const rows = carried.tickets.map((ticket) => {
    const row = document.createElement("tr");
    row.dataset.number = ticket.number;
    for (const text of [ticket.number, serviceNames[ticket.service] || ticket.service,
      strings[`state_${ticket.state_at_close}`] || ticket.state_at_close, clock.format(new Date(ticket.arrived_at))]) {
      row.append(Object.assign(document.createElement("td"), { textContent: text }));
    }
    return row;
  });
  $("carried").replaceChildren(...rows);
  $("carried-table").hidden = rows.length === 0;
  $("carried-empty").hidden = rows.length > 0;
  if (carried.from_day) {
    $("carried-title").textContent = format(strings.carried_from, { day: longDay.format(new Date(carried.from_day)) });
  }
}

function render() {
  if (view.closed) {
    $("day-close-state").textContent = format(strings.closed, { time: clock.format(new Date(view.summary.closed_at)) });
    renderSummary(view.summary);
  } else {
    $("day-close-state").textContent = format(strings.open, { ...view.leftovers,
      appointments: view.appointments_not_checked_in, counters: view.open_counters });
    $("day-summary").hidden = true;
  }
  $("day-close-form").hidden = view.closed;
  $("close-day").disabled = view.closed;
  renderCarried(view.carried);
}

async function refresh() {
  try {
    const overview = await api("GET", "/api/supervisor/overview");
    serviceNames = Object.fromEntries(overview.services.map((s) => [s.code, s.names[LANG] || s.names.fr || s.code]));
    view = await api("GET", "/api/supervisor/day-close");
    render();
  } catch {
    // the overview's own refresh reports a lost connection; this panel tries again shortly
  }
}

async function closeDay() {
  const leftover = document.querySelector("input[name=leftover]:checked").value;
  const left = view.leftovers;
  const count = left.waiting + left.called + left.serving;
  const question = format(leftover === "carry" ? strings.confirm_carry : strings.confirm_no_show,
    { count, serving: left.called + left.serving, appointments: view.appointments_not_checked_in });
  if (!(await confirmAction(question, strings.confirm_ok))) return;
  await actThenRefresh(async () => {
    const answer = await api("POST", "/api/supervisor/day-close", { leftover, force: true });
    renderSummary(answer.summary);
  }, refresh);
}

$("close-day").addEventListener("click", closeDay);
refresh();
setInterval(refresh, REFRESH_MS);
