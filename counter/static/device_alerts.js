// Device alerts on every staff page: a printer low on paper or out of order, a silent scanner or reader,
// tickets that did not print. Refreshed when a device.health or print event arrives, and every 30 s.
import { api, format } from "./api.js";

const REFRESH_MS = 30000;
const strings = JSON.parse(document.getElementById("device-strings").textContent);
const DEVICE_EVENTS = new Set(["device.health", "ticket.print_failed"]);

export function deviceName(device) {
  const [, owner] = device.device.split(":");
  return format(strings[device.kind] || device.device, { name: owner });
}

export function reasonText(device) {
  return strings[device.reason] || device.detail || strings[device.state] || device.state;
}

function alertItem(device) {
  const item = document.createElement("li");
  item.className = `device-alert state-${device.state}`;
  item.dataset.device = device.device;
  item.textContent = `${deviceName(device)} · ${reasonText(device)}`;
  return item;
}

// The Reprint button of a ticket that did not print: any agent can send it back to its kiosk's printer
// when the visitor comes to the desk without paper. `report(text)` says what happened.
export function reprintButton(problem, report) {
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = strings.reprint;
  button.dataset.testid = "reprint";
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const answer = await api("POST", `/api/tickets/${problem.ticket.id}/reprint`, {});
      report(format(strings.reprinted, { name: answer.kiosk }));
      button.remove();
    } catch (error) {
      report(error.message);
      button.disabled = false;
    }
  });
  return button;
}

function problemItem(problem) {
  const item = document.createElement("li");
  item.className = "device-alert state-offline";
  item.dataset.device = "print-problem";
  item.dataset.ticket = problem.ticket.number;
  const text = document.createElement("span");
  text.textContent = format(strings.ticket_not_printed, { number: problem.ticket.number,
    reason: strings[problem.reason] || problem.reason });
  item.append(text, reprintButton(problem, (message) => { text.textContent = message; }));
  return item;
}

let shown = "";

async function refresh() {
  const list = document.getElementById("device-alerts");
  try {
    const data = await api("GET", "/api/devices/health");
    const problems = data.print_problems ? (await api("GET", "/api/print-problems")).tickets : [];
    // Unchanged: the list stays as it is, and its live region says nothing again.
    const key = JSON.stringify([data.alerts.map((d) => [d.device, d.state, d.reason, d.detail]),
      problems.map((p) => [p.ticket.id, p.reason])]);
    if (key === shown) return;
    shown = key;
    const items = [...data.alerts.map(alertItem), ...problems.map(problemItem)];
    list.replaceChildren(...items);
    list.hidden = items.length === 0;
  } catch {
    // Not logged in yet, or the server is away: the page's own status line says so.
  }
}

let timer = null;
document.addEventListener("dour:event", (event) => {
  if (!DEVICE_EVENTS.has(event.detail.type)) return;
  clearTimeout(timer);
  timer = setTimeout(refresh, 100);
});
document.addEventListener("dour:snapshot", refresh);
refresh();
setInterval(refresh, REFRESH_MS);
