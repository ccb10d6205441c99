// The desk's badge reader, on the login page (insert your badge, then the PIN pad) and on the counter page
// (the lock that covers the desk when the badge of a badge session leaves the reader).
//
// The desk's counter comes from `?counter=N` (remembered in localStorage, so a desk PC keeps it). The page
// listens on the /desk namespace for that counter's `badge {state, known}` events: a card went in (an
// enrolled badge or not) or out. Never a badge id or a name: the server keeps those.
import { ApiError, api } from "./api.js";

const DESK_KEY = "dour.desk.counter";
const LANG = document.documentElement.lang;
const $ = (id) => document.getElementById(id);
const panel = $("badge-panel");
const strings = JSON.parse($("badge-strings").textContent);
const lockMode = panel.dataset.mode === "lock";

// The counter this desk PC sits at: ?counter=N (then remembered), else the one remembered, else none.
export function deskCounter() {
  const asked = Number.parseInt(new URLSearchParams(location.search).get("counter") ?? "", 10);
  if (asked > 0) localStorage.setItem(DESK_KEY, String(asked));
  const kept = Number.parseInt(localStorage.getItem(DESK_KEY) ?? "", 10);
  return kept > 0 ? kept : null;
}

function show({ title, hint, pin }) {
  $("badge-title").textContent = title;
  $("badge-hint").textContent = hint;
  $("pin-form").hidden = !pin;
  $("pin").value = "";
  showError("");
  panel.hidden = false;
  if (pin) $("pin").focus();
}

function showError(message) {
  $("badge-error").textContent = message;
  $("badge-error").hidden = !message;
}

// Only a session opened by a badge locks: the server answers 423 while its badge is out of the reader.
async function sessionLocked() {
  try {
    await api("GET", "/api/auth/me");
    return false;
  } catch (error) {
    return error instanceof ApiError && error.status === 423;
  }
}

function loginView({ state, known }) {
  if (state !== "inserted") return { title: strings.badge_login, hint: strings.insert_badge, pin: false };
  if (!known) return { title: strings.badge_login, hint: strings.unknown_card, pin: false };
  return { title: strings.enter_pin, hint: strings.pin_hint, pin: true };
}

function lockView({ state, known }) {
  if (state !== "inserted") return { title: strings.locked_title, hint: strings.locked_hint, pin: false };
  if (!known) return { title: strings.locked_title, hint: strings.unknown_card, pin: false };
  return { title: strings.locked_title, hint: strings.unlock_hint, pin: true };
}

async function onBadge(event) {
  if (!lockMode) { show(loginView(event)); return; }
  if (await sessionLocked()) show(lockView(event));
  else panel.hidden = true;
}

function afterLogin() {
  if (lockMode) location.reload();
  else location.assign(`/counter?lang=${encodeURIComponent(LANG)}`);
}

function wirePad(counter) {
  const form = $("pin-form");
  const input = $("pin");
  const submit = form.querySelector("[type=submit]");
  for (const key of form.querySelectorAll("[data-digit]")) {
    key.addEventListener("click", () => { input.value = (input.value + key.dataset.digit).slice(0, 12); input.focus(); });
  }
  form.querySelector("[data-erase]").addEventListener("click", () => { input.value = input.value.slice(0, -1); input.focus(); });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const hint = $("badge-hint").textContent;
    submit.disabled = true;
    $("badge-hint").textContent = strings.checking;
    try {
      await api("POST", "/api/auth/badge", { counter, pin: input.value });
      afterLogin();
    } catch (error) {
      showError(error.message);
      input.value = "";
      input.focus();
    } finally {
      submit.disabled = false;
      if ($("badge-hint").textContent === strings.checking) $("badge-hint").textContent = hint; // unless a card event came
    }
  });
}

function start() {
  const counter = deskCounter();
  if (counter === null) return; // a desk without a known counter: password login only
  wirePad(counter);
  // Refused (connect_error) when that counter has no badge reader: the panel then stays hidden.
  const socket = io("/desk", { auth: { counter } });
  socket.on("badge", onBadge);
}

start();
