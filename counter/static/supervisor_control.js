// The supervisor's floor controls (core/floor_control.py): pause a service at the kiosks, stop walk-in tickets,
// the displays' message, a counter's services, close a counter left open. Each action sends the "why" field
// (kept in the journal); the three that turn visitors or an agent away (pause, stop walk-ins, close a counter)
// ask first, in dialogs.js's confirmation. Live without polling: supervisor.js's /counter socket hands every
// journal event over as `dour:event`; a floor or counter event reloads this panel.
import { api, format, showAlert, clearAlert } from "./api.js";
import { confirmAction } from "./dialogs.js";
import { siteTimeFormat } from "./site_time.js";

const strings = JSON.parse(document.getElementById("control-strings").textContent);
const LANG = document.documentElement.lang;
const clock = siteTimeFormat(`${LANG}-u-nu-latn`, { hour: "2-digit", minute: "2-digit" });
const $ = (id) => document.getElementById(id);
const FLOOR = "/api/supervisor/floor";

let overview = null;
let floor = null;

const serviceName = (code) => {
  const service = overview.services.find((s) => s.code === code);
  return service ? `${service.prefix} · ${service.names[LANG] || service.names.fr || code}` : code;
};
const why = () => $("control-why").value;

function option(value, text) {
  return Object.assign(document.createElement("option"), { value, textContent: text });
}

function keepSelection(select, options) {
  const chosen = select.value;
  select.replaceChildren(...options);
  if ([...select.options].some((o) => o.value === chosen)) select.value = chosen;
}

function pausedItem([code, pause]) {
  const item = document.createElement("li");
  item.dataset.service = code;
  const reason = [strings.reasons[pause.reason], pause.note].filter(Boolean).join(" ");
  item.append(format(strings.paused, { service: serviceName(code), reason, time: clock.format(new Date(pause.set_at)) }));
  const resume = Object.assign(document.createElement("button"), { type: "button", textContent: strings.resume });
  resume.dataset.testid = `resume-${code}`;
  resume.addEventListener("click", () => act("POST", `${FLOOR}/services/${encodeURIComponent(code)}/resume`, { reason: why() }));
  item.append(resume);
  return item;
}

function renderWalkIns() {
  const stop = floor.walk_ins;
  const time = stop ? clock.format(new Date(stop.from)) : "";
  $("walk-ins-state").textContent = !stop ? strings.walk_ins_open
    : format(stop.in_effect ? strings.walk_ins_stopped : strings.walk_ins_stopping, { time });
  $("walk-ins-resume").hidden = !stop;
}

function renderTicker() {
  const ticker = floor.ticker;
  $("ticker-state").textContent = ticker
    ? format(strings.ticker, { time: clock.format(new Date(ticker.ends_at)), text: ticker.text }) : strings.no_ticker;
  $("ticker-clear").hidden = !ticker;
}

function renderCounterServices() {
  const number = $("control-counter").value;
  const counter = overview.counters.find((c) => String(c.number) === number);
  if (!counter) return;
  const boxes = overview.services.map((service) => {
    const box = Object.assign(document.createElement("input"), { type: "checkbox", value: service.code });
    box.checked = counter.services.includes(service.code);
    box.dataset.testid = `counter-service-${service.code}`;
    const label = document.createElement("label");
    label.append(box, serviceName(service.code));
    return label;
  });
  $("control-counter-services").replaceChildren($("control-counter-services").querySelector("legend"), ...boxes);
  $("counter-close").disabled = !counter.agent;
}

function render() {
  keepSelection($("pause-service"), overview.services.filter((s) => !floor.paused[s.code])
    .map((s) => option(s.code, serviceName(s.code))));
  $("paused").replaceChildren(...Object.entries(floor.paused).map(pausedItem));
  renderWalkIns();
  renderTicker();
  keepSelection($("control-counter"), overview.counters.map((c) => {
    const changed = floor.counters[String(c.number)] ? ` (${strings.changed})` : "";
    return option(String(c.number), `${c.number}${c.agent ? ` · ${c.agent}` : ""}${changed}`);
  }));
  renderCounterServices();
}

async function refresh() {
  try {
    [overview, floor] = await Promise.all([api("GET", "/api/supervisor/overview"), api("GET", FLOOR)]);
    render();
  } catch (error) {
    showAlert(error.message);
  }
}

async function act(method, path, body) {
  $("control-status").textContent = "";
  try {
    floor = await api(method, path, body);
    clearAlert();
    $("control-status").textContent = strings.done;
  } catch (error) {
    showAlert(error.message);
  }
  refresh();
}

function tickerTexts() {
  const texts = {};
  for (const input of document.querySelectorAll("[data-ticker-lang]")) {
    if (input.value.trim()) texts[input.dataset.tickerLang] = input.value;
  }
  return texts;
}

// Asks `question`, then does `action` if the supervisor confirms (the values were read before asking).
async function confirmThen(question, okLabel, action) {
  if (await confirmAction(question, okLabel)) action();
}

$("pause").addEventListener("click", () => {
  const code = $("pause-service").value;
  const body = { reason: $("pause-reason").value, note: $("pause-note").value };
  const pause = () => act("POST", `${FLOOR}/services/${encodeURIComponent(code)}/pause`, body);
  if (!code) return;
  confirmThen(format(strings.confirm_pause, { service: serviceName(code) }), strings.pause_ok, pause);
});
$("walk-ins-stop").addEventListener("click", () => {
  const at = $("walk-ins-rule").value === "at" ? $("walk-ins-at").value : null;
  const body = { reason: why(), at };
  const stop = () => act("POST", `${FLOOR}/walk-ins/stop`, body);
  if ($("walk-ins-rule").value === "at" && !at) return stop(); // the server says what is missing
  const question = at ? format(strings.confirm_walk_ins_at, { time: at }) : strings.confirm_walk_ins_now;
  return confirmThen(question, strings.walk_ins_ok, stop);
});
$("walk-ins-resume").addEventListener("click", () => act("POST", `${FLOOR}/walk-ins/resume`, { reason: why() }));
$("ticker-send").addEventListener("click", () => act("PUT", `${FLOOR}/ticker`,
  { text: $("ticker-text").value, until: $("ticker-until").value, texts: tickerTexts(), reason: why() }));
$("ticker-clear").addEventListener("click", () => act("POST", `${FLOOR}/ticker/clear`, { reason: why() }));
$("control-counter").addEventListener("change", renderCounterServices);
$("counter-services").addEventListener("click", () => act("PUT",
  `${FLOOR}/counters/${$("control-counter").value}/services`, {
    services: [...$("control-counter-services").querySelectorAll("input:checked")].map((box) => box.value),
    reason: why(),
  }));
$("counter-close").addEventListener("click", () => {
  const number = $("control-counter").value;
  const counter = overview.counters.find((c) => String(c.number) === number);
  const body = { reason: why() };
  const close = () => act("POST", `${FLOOR}/counters/${number}/close`, body);
  confirmThen(format(strings.confirm_counter_close, { counter: number, agent: counter?.agent || "–" }),
    strings.counter_close_ok, close);
});

let timer = null;
document.addEventListener("dour:event", (event) => {
  if (!/^(floor|counter)\./.test(event.detail.type)) return;
  clearTimeout(timer);
  timer = setTimeout(refresh, 200);
});
refresh();
