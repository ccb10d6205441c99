// The device-control page's demo central: today's appointment QR codes, each scanned with one click into a
// kiosk's simulated scanner (the real serial path), and the switch that cuts or restores the link.
import { actThenRefresh, api, format, pageStrings } from "./api.js";

const strings = pageStrings();
const section = document.querySelector("[data-central]");

function sampleRow(sample, kiosks) {
  const row = document.createElement("li");
  row.dataset.testid = `sample-${sample.label}`;
  const label = document.createElement("span");
  label.className = "sample-label";
  const name = strings[`sample_${sample.label}`] || sample.label;
  label.textContent = sample.checked_in ? format(strings.sample_used, { label: name }) : name;
  const reference = document.createElement("code");
  reference.textContent = sample.reference;
  row.append(label, " ", reference);
  for (const kiosk of kiosks) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = format(strings.scan_at, { kiosk });
    button.addEventListener("click", () => act(() => api("POST", `/api/sim/scanners/${encodeURIComponent(kiosk)}/scan`,
      { code: sample.text })));
    row.append(" ", button);
  }
  return row;
}

const act = (call) => actThenRefresh(call, refresh);

async function refresh() {
  let state;
  let kiosks;
  try {
    [state, kiosks] = await Promise.all([api("GET", "/api/sim/central"), api("GET", "/api/sim/devices")]);
  } catch (error) {
    section.querySelector("[data-central-state]").textContent = error.message;
    section.querySelector("[data-link-toggle]").hidden = true; // no central to cut or restore
    return;
  }
  const names = kiosks.kiosks.filter((kiosk) => kiosk.scanner).map((kiosk) => kiosk.name);
  section.querySelector("[data-samples]").replaceChildren(...state.samples.map((s) => sampleRow(s, names)));
  const down = state.faults.mode === "unreachable";
  section.querySelector("[data-central-state]").textContent = down ? strings.link_cut : strings.link_up;
  section.querySelector("[data-link-toggle]").textContent = down ? strings.restore_link : strings.cut_link;
  section.querySelector("[data-link-toggle]").dataset.up = String(down);
  section.querySelector("[data-link-toggle]").hidden = false;
}

if (section) {
  section.querySelector("[data-link-toggle]").addEventListener("click", (event) =>
    act(() => api("PUT", "/api/sim/central/link", { up: event.currentTarget.dataset.up === "true" })));
  refresh();
}
