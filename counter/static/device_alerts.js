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

function problemsItem(count) {
  const item = document.createElement("li");
  item.className = "device-alert state-offline";
  item.dataset.device = "print-problems";
  item.textContent = format(strings.not_printed, { count });
  return item;
}

async function refresh() {
  const list = document.getElementById("device-alerts");
  try {
    const data = await api("GET", "/api/devices/health");
    const items = data.alerts.map(alertItem);
    if (data.print_problems) items.push(problemsItem(data.print_problems));
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
