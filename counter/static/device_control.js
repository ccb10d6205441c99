// The demo's device-control page: each button calls /api/sim/…, which acts on a simulated device through
// its real driver and protocol. Printed tickets are rendered back from the bytes the printer received.
import { actThenRefresh, api, format, pageStrings, showAlert } from "./api.js";

const strings = pageStrings();
const config = JSON.parse(document.getElementById("control-config").textContent);
const REFRESH_MS = 3000;

const act = (call) => actThenRefresh(call, refresh);

function faultButtons(kiosk) {
  return [null, ...config.faults].map((fault) => {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = strings[fault || "no_fault"] || fault;
    button.dataset.testid = `fault-${fault || "none"}`;
    button.setAttribute("aria-pressed", String((kiosk.printer?.fault ?? null) === fault));
    button.addEventListener("click", () => act(() => api("POST", `/api/sim/printers/${kiosk.name}/fault`, { fault })));
    return button;
  });
}

function printedImages(kiosk) {
  const count = Math.min(kiosk.printer?.jobs || 0, 4);
  return Array.from({ length: count }, (_, index) => {
    const image = document.createElement("img");
    image.src = `/api/sim/printers/${encodeURIComponent(kiosk.name)}/jobs/${index}.png?n=${kiosk.printer.jobs}`;
    image.alt = format(strings.jobs, { count: kiosk.printer.jobs - index });
    image.dataset.testid = "printed-ticket";
    return image;
  });
}

function kioskPanel(kiosk) {
  const panel = document.getElementById("kiosk-template").content.firstElementChild.cloneNode(true);
  panel.dataset.kiosk = kiosk.name;
  panel.querySelector("[data-name]").textContent = kiosk.name;
  const printed = panel.querySelector("[data-printed]");
  if (kiosk.printer) {
    panel.querySelector("[data-faults]").replaceChildren(...faultButtons(kiosk));
    panel.querySelector("[data-jobs]").textContent = format(strings.jobs, { count: kiosk.printer.jobs });
    printed.replaceChildren(...printedImages(kiosk));
  } else {
    panel.querySelector("[data-jobs]").textContent = strings.not_simulated;
  }
  panel.querySelector("[data-scan]").addEventListener("submit", (event) => {
    event.preventDefault();
    const code = event.target.elements.code.value;
    act(() => api("POST", `/api/sim/scanners/${kiosk.name}/scan`, { code }));
  });
  panel.querySelector("[data-terminal]").addEventListener("submit", (event) => {
    event.preventDefault();
    const outcome = event.target.elements.outcome.value;
    act(() => api("POST", `/api/sim/terminals/${kiosk.name}/script`, { outcome }));
  });
  return panel;
}

let shown = "";
async function refresh() {
  try {
    const data = await api("GET", "/api/sim/devices");
    const key = JSON.stringify(data.kiosks);
    if (key === shown) return; // keep the forms as the person is typing in them
    shown = key;
    document.getElementById("kiosks").replaceChildren(...data.kiosks.map(kioskPanel));
  } catch (error) {
    showAlert(error.message);
  }
}

const badgeForm = document.getElementById("badge-form");
const counter = () => badgeForm.elements.counter.value;
badgeForm.addEventListener("submit", (event) => {
  event.preventDefault();
  act(() => api("POST", `/api/sim/card-readers/${counter()}/insert`, { badge: badgeForm.elements.badge.value }));
});
document.getElementById("bank-card").addEventListener("click",
  () => act(() => api("POST", `/api/sim/card-readers/${counter()}/insert`, { badge: null })));
document.getElementById("badge-remove").addEventListener("click",
  () => act(() => api("POST", `/api/sim/card-readers/${counter()}/remove`, {})));

refresh();
setInterval(refresh, REFRESH_MS);
