// The supervisor's "Link with eConsulat" panel. Live without polling: the server pushes `sync` on /counter
// to supervisors when the link changes (counter/sync_watcher.py); supervisor.js hands it over as `dour:sync`.
// Ages (how long the oldest event has waited) follow the server's clock, re-rendered every 30 s.
import { api, format, showAlert } from "./api.js";
import { sameSiteDay, siteTimeFormat } from "./site_time.js";

const strings = JSON.parse(document.getElementById("sync-strings").textContent);
const LANG = document.documentElement.lang;
const AGE_REFRESH_MS = 30000;
const $ = (id) => document.getElementById(id);
const locale = `${LANG}-u-nu-latn`;
const clock = siteTimeFormat(locale, { hour: "2-digit", minute: "2-digit" });
const dayClock = siteTimeFormat(locale, { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
const day = siteTimeFormat(locale, { day: "numeric", month: "long", year: "numeric" });

let view = null;
let clockOffset = 0;
const serverNow = () => Date.now() + clockOffset;

// A time today as "09:41", another day's with its date.
function when(iso) {
  if (!iso) return strings.never;
  const moment = new Date(iso);
  return sameSiteDay(moment, serverNow()) ? clock.format(moment)
    : dayClock.format(moment);
}

function stateText(data) {
  const failures = data.failures;
  switch (data.state) {
    case "unreachable": {
      const base = data.last_success ? format(strings.unreachable, { time: when(data.last_success), failures })
        : format(strings.unreachable_never, { failures });
      return data.next_attempt_at ? `${base} ${format(strings.next_attempt, { time: when(data.next_attempt_at) })}`
        : base;
    }
    case "not_running": return format(strings.not_running, { time: when(data.reported_at) });
    default: return strings[data.state] || data.state;
  }
}

function pendingText(data) {
  if (!data.pending_events) return strings.no_pending;
  const minutes = Math.max(0, Math.floor((serverNow() - Date.parse(data.oldest_pending_at)) / 60000));
  return format(strings.pending, { count: data.pending_events, minutes });
}

function keyItem(key) {
  const item = document.createElement("li");
  item.dataset.state = key.state;
  item.dataset.kid = key.kid;
  const template = { expired: strings.key_expired, not_yet: strings.key_not_yet }[key.state] || strings.key;
  const date = day.format(new Date(key.state === "not_yet" ? key.valid_from : key.valid_until));
  item.textContent = format(template, { kid: key.kid, date });
  return item;
}

function keysWarning(data) {
  if (data.keys_warning === "no_key") return strings.keys_none;
  if (data.keys_warning !== "expiring") return "";
  const newest = Math.max(...data.keys.map((key) => Date.parse(key.valid_until)));
  return format(strings.keys_expiring, { date: day.format(new Date(newest)) });
}

// Alert regions are written only when their text changes, so a screen reader reads each change once.
function setText(id, text) {
  if ($(id).textContent !== text) $(id).textContent = text;
}

function render() {
  if (!view) return;
  $("sync-state").dataset.state = view.state;
  setText("sync-state", stateText(view));
  setText("sync-keys-warning", keysWarning(view));
  setText("sync-fees-warning", view.fees_differ ? strings.fees_differ : "");
  $("sync-pending").textContent = pendingText(view);
  $("sync-last-success").textContent = when(view.last_success);
  $("sync-last-error").textContent = view.last_error
    ? format(strings.error_at, { time: when(view.last_error_at), error: view.last_error }) : strings.never;
  $("sync-keys").replaceChildren(...(view.keys.length ? view.keys.map(keyItem)
    : [Object.assign(document.createElement("li"), { textContent: strings.no_keys })]));
  const counts = view.appointments_today;
  $("sync-appointments-total").textContent = String(counts.total);
  $("sync-appointments-checked-in").textContent = String(counts.checked_in);
  $("sync-appointments-no-show").textContent = String(counts.no_show);
  $("sync-appointments-cancelled").textContent = String(counts.cancelled);
  $("sync-now").disabled = !view.central_configured || view.pull_requested;
  setText("sync-status", view.pull_requested ? strings.pull_requested : "");
}

function apply(data) {
  clockOffset = Date.parse(data.now) - Date.now();
  view = data;
  render();
}

async function load() {
  try {
    apply(await api("GET", "/api/supervisor/sync"));
  } catch (error) {
    showAlert(error.message);
  }
}

$("sync-now").addEventListener("click", async () => {
  $("sync-now").disabled = true;
  try {
    apply(await api("POST", "/api/supervisor/sync/pull"));
  } catch (error) {
    showAlert(error.message);
    render();
  }
});
document.addEventListener("dour:sync", (event) => apply(event.detail));
setInterval(render, AGE_REFRESH_MS);
load();
