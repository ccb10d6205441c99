// The supervisor's overview: refetched on every journal event (debounced) and every 30 s for the clocks.
import { api, format, pageStrings, showAlert, clearAlert } from "./api.js";
import { connectLive } from "/static/live.js";

const strings = pageStrings();
const LANG = document.documentElement.lang;
const REFRESH_DEBOUNCE_MS = 200;
const CLOCK_REFRESH_MS = 30000;
let serviceLetters = {}; // service code → its ticket letter

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text ?? "–";
  if (className) td.className = className;
  return td;
}

function minutes(value) {
  return value === null || value === undefined ? "–" : format(strings.minutes, { minutes: value });
}

function serviceRow(service) {
  const row = document.createElement("tr");
  row.dataset.service = service.code;
  if (service.over_target) row.classList.add("over-target");
  row.append(
    cell(`${service.prefix} · ${service.names[LANG] || service.names.fr || service.code}`),
    cell(String(service.waiting)),
    cell(minutes(service.oldest_wait_minutes), service.over_target ? "alarm" : ""),
    cell(minutes(service.target_wait_minutes)),
    cell(minutes(service.mean_wait_minutes)),
    cell(String(service.served)),
    cell(String(service.no_shows)),
  );
  return row;
}

function counterRow(counter) {
  const row = document.createElement("tr");
  row.dataset.counter = String(counter.number);
  const current = counter.current
    ? `${counter.current.number} · ${strings[`state_${counter.current.state}`] || counter.current.state}`
    : "";
  // The services it takes today: a supervisor's change for the day (supervisor_control.js), else as configured.
  const services = counter.services.map((code) => serviceLetters[code] || code).join(", ");
  row.append(cell(String(counter.number)), cell(counter.agent || strings.closed), cell(current), cell(services));
  return row;
}

async function refresh() {
  try {
    const data = await api("GET", "/api/supervisor/overview");
    serviceLetters = Object.fromEntries(data.services.map((s) => [s.code, s.prefix]));
    document.getElementById("services").replaceChildren(...data.services.map(serviceRow));
    document.getElementById("counters").replaceChildren(...data.counters.map(counterRow));
    // The staffing advice and the services' names: supervisor_staffing.js renders them.
    document.dispatchEvent(new CustomEvent("dour:overview", { detail: data }));
    clearAlert();
  } catch (error) {
    showAlert(error.message);
  }
}

let timer = null;
function scheduleRefresh() {
  clearTimeout(timer);
  timer = setTimeout(refresh, REFRESH_DEBOUNCE_MS);
}

function onStatus(connected) {
  const badge = document.getElementById("connection");
  badge.hidden = connected;
  badge.textContent = connected ? "" : strings.offline;
}

refresh();
setInterval(refresh, CLOCK_REFRESH_MS);
const live = connectLive("/counter", { onEvent: scheduleRefresh, onSnapshot: scheduleRefresh, onStatus });
// The link with eConsulat, pushed to supervisors only: supervisor_sync.js renders it.
live.socket.on("sync", (view) => document.dispatchEvent(new CustomEvent("dour:sync", { detail: view })));
// The staffing advice, pushed to supervisors when it changes: supervisor_staffing.js renders it.
live.socket.on("staffing", (view) => document.dispatchEvent(new CustomEvent("dour:staffing", { detail: view })));
