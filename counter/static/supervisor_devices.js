// The supervisor's device panel: every device's state since when and why, and the tickets that did not
// print, each with a Reprint button (it prints on the kiosk where the ticket was issued).
import { api, serverNow, showAlert } from "./api.js";
import { deviceName, reasonText, reprintButton } from "./device_alerts.js";
import { sameSiteDay, siteTimeFormat } from "./site_time.js";

const strings = JSON.parse(document.getElementById("device-strings").textContent);
const DEVICE_EVENTS = new Set(["device.health", "ticket.print_failed"]);
const locale = `${document.documentElement.lang}-u-nu-latn`;
const time = siteTimeFormat(locale, { hour: "2-digit", minute: "2-digit" });
const dayTime = siteTimeFormat(locale, { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
// Since when, at the site: "09:41" today, with its date before today.
const since = (iso) => (sameSiteDay(iso, serverNow()) ? time : dayTime).format(new Date(iso));

function cell(content) {
  const td = document.createElement("td");
  td.append(content);
  return td;
}

function deviceRow(device) {
  const row = document.createElement("tr");
  row.dataset.device = device.device;
  row.className = `state-${device.state}`;
  row.append(cell(deviceName(device)), cell(strings[device.state] || device.state),
    cell(device.state === "ok" ? "" : reasonText(device)), cell(since(device.since)));
  return row;
}

function problemRow(problem) {
  const row = document.createElement("tr");
  row.dataset.ticket = problem.ticket.number;
  const kiosk = problem.printer.split(":")[1];
  row.append(cell(problem.ticket.number), cell(kiosk), cell(strings[problem.reason] || problem.reason),
    cell(reprintButton(problem, (message) => { row.lastElementChild.append(" ", message); })));
  return row;
}

async function refresh() {
  try {
    const [health, problems] = await Promise.all([api("GET", "/api/devices/health"),
      api("GET", "/api/print-problems")]);
    document.getElementById("devices").replaceChildren(...health.devices.map(deviceRow));
    document.getElementById("print-problems").replaceChildren(...problems.tickets.map(problemRow));
  } catch (error) {
    showAlert(error.message);
  }
}

let timer = null;
document.addEventListener("dour:event", (event) => {
  if (!DEVICE_EVENTS.has(event.detail.type) && event.detail.type !== "ticket.called") return;
  clearTimeout(timer);
  timer = setTimeout(refresh, 150);
});
refresh();
