// What each display shows (core/zones.py): the supervisor limits a display to some services and/or counters
// (nothing ticked: all of them). Sent with the floor controls' "why" field, kept in the journal; the display
// redraws itself for its new zone at once. Reloaded when any display's zone changes (`display.zone`).
import { api, format, showAlert, clearAlert } from "./api.js";

const strings = JSON.parse(document.getElementById("zone-strings").textContent);
const LANG = document.documentElement.lang;
const $ = (id) => document.getElementById(id);

let overview = null;
let displays = [];

const serviceLabel = (service) => `${service.prefix} · ${service.names[LANG] || service.names.fr || service.code}`;

function checkbox(value, text, checked, testid) {
  const box = Object.assign(document.createElement("input"), { type: "checkbox", value: String(value), checked });
  box.dataset.testid = testid;
  const label = document.createElement("label");
  label.append(box, text);
  return label;
}

function fill(fieldset, boxes) {
  fieldset.replaceChildren(fieldset.querySelector("legend"), ...boxes);
}

function describe({ name, zone }) {
  const services = zone.services.map((code) => serviceLabel(overview.services.find((s) => s.code === code)
    || { code, prefix: "?", names: {} })).join(", ");
  const counters = zone.counters.join(", ");
  const key = services ? (counters ? "both" : "services") : (counters ? "counters" : "everything");
  return format(strings[key], { name, services, counters });
}

function renderChoice() {
  const chosen = displays.find((display) => display.name === $("zone-display").value);
  const zone = chosen ? chosen.zone : { services: [], counters: [] };
  fill($("zone-services"), overview.services.map((service) => checkbox(service.code, serviceLabel(service),
    zone.services.includes(service.code), `zone-service-${service.code}`)));
  fill($("zone-counters"), overview.counters.map((counter) => checkbox(counter.number, String(counter.number),
    zone.counters.includes(counter.number), `zone-counter-${counter.number}`)));
  $("zone-apply").disabled = !chosen;
}

function render() {
  const select = $("zone-display");
  const kept = select.value;
  select.replaceChildren(...displays.map(({ name }) => Object.assign(document.createElement("option"),
    { value: name, textContent: name })));
  if (displays.some(({ name }) => name === kept)) select.value = kept;
  const items = displays.map((display) => Object.assign(document.createElement("li"),
    { textContent: describe(display) }));
  $("zones").replaceChildren(...(items.length ? items : [Object.assign(document.createElement("li"),
    { textContent: strings.none })]));
  renderChoice();
}

async function refresh() {
  try {
    [overview, { displays }] = await Promise.all([api("GET", "/api/supervisor/overview"),
      api("GET", "/api/supervisor/displays")]);
    render();
  } catch (error) {
    showAlert(error.message);
  }
}

async function apply() {
  const ticked = (fieldset) => [...$(fieldset).querySelectorAll("input:checked")].map((box) => box.value);
  $("control-status").textContent = "";
  try {
    ({ displays } = await api("PUT", `/api/supervisor/displays/${encodeURIComponent($("zone-display").value)}/zone`, {
      services: ticked("zone-services"), counters: ticked("zone-counters").map(Number),
      reason: $("control-why").value,
    }));
    clearAlert();
    $("control-status").textContent = strings.done;
    render();
  } catch (error) {
    showAlert(error.message);
  }
}

$("zone-display").addEventListener("change", renderChoice);
$("zone-apply").addEventListener("click", apply);
document.addEventListener("dour:event", (event) => {
  if (event.detail.type === "display.zone") refresh();
});
refresh();
