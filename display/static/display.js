// The waiting-room screen: the current call, the last calls, waiting counts per service and a clock.
// Live from the /display namespace; each journal seq is applied once, so no call is announced twice.
import { createAnnouncer } from "./announcer.js";
import { setUpSound } from "./chime.js";
import { connectLive } from "/static/live.js";
import { numbering } from "/static/numerals.js";

const config = JSON.parse(document.getElementById("screen-config").textContent);
const CALL_EVENTS = new Set(["ticket.called", "ticket.recalled"]);
const MAX_RECENT = 8;
const REPLAY_ANNOUNCE_MS = 60_000; // a replayed call older than this is listed, not announced
const LANGUAGE_SECONDS = 6;
const FLASH_MS = 10_000;
const RTL_TEXT = /[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]/;

const screen = {
  recent: [], clockOffset: 0, languageIndex: 0, day: null, live: null, ticker: null, soundReported: null,
};
const announcer = createAnnouncer(config.speech, (state) => setSound(state));
const $ = (testid) => document.querySelector(`[data-testid="${testid}"]`);
const serverNow = () => Date.now() + screen.clockOffset;
const language = () => config.languages[screen.languageIndex];

function serviceName(code, lang = language()) {
  const names = config.services[code] || {};
  return names[lang] || Object.values(names)[0] || code || "";
}

// --- the words that alternate between languages ---------------------------------------------------------
// Direction follows the text itself: a word not yet translated into Arabic stays left to right.
function setText(node, text, code) {
  node.textContent = text;
  node.lang = code;
  node.dir = RTL_TEXT.test(text) ? "rtl" : "ltr";
}

function applyLanguage() {
  const code = language();
  for (const node of document.querySelectorAll("[data-word]")) {
    setText(node, config.words[code][node.dataset.word], code);
  }
  for (const node of document.querySelectorAll("[data-service-name]")) {
    setText(node, serviceName(node.dataset.serviceName, code), code);
  }
  const where = document.querySelector(".call-where");
  where.classList.toggle("rtl", where.querySelector("[data-word]").dir === "rtl");
  document.body.dataset.language = code;
  renderTicker();
  renderDate(new Date(serverNow())); // with the words, not up to a second later
}

function rotateLanguage() {
  screen.languageIndex = (screen.languageIndex + 1) % config.languages.length;
  applyLanguage();
}

// --- calls ----------------------------------------------------------------------------------------------
function renderCurrent(call, flash) {
  $("current-number").textContent = call ? call.number : "—";
  $("current-counter").textContent = call ? String(call.counter) : "—";
  $("current-service").dataset.serviceName = call ? call.service : "";
  setText($("current-service"), call ? serviceName(call.service) : "", language());
  const now = $("current-call");
  if (flash) {
    now.classList.remove("flash");
    void now.offsetWidth; // restart the animation for a call that follows another quickly
    now.classList.add("flash");
    clearTimeout(renderCurrent.timer);
    renderCurrent.timer = setTimeout(() => now.classList.remove("flash"), FLASH_MS);
  }
}

function renderRecent(freshNumber) {
  $("recent-calls").replaceChildren(...screen.recent.map((call) => {
    const item = document.createElement("li");
    item.dataset.number = call.number;
    item.dataset.counter = String(call.counter);
    item.classList.toggle("fresh", call.number === freshNumber);
    item.classList.toggle("long", call.number.length > 5); // "A-1000": smaller in portrait (display.css)
    // Ticket code and counter isolated (<bdi>): an Arabic row reads from the right without reordering them.
    const number = Object.assign(document.createElement("bdi"), { className: "recent-number", dir: "ltr", textContent: call.number });
    const arrow = Object.assign(document.createElement("span"), { className: "recent-arrow", textContent: "→" });
    const counter = Object.assign(document.createElement("bdi"), { className: "recent-counter", dir: "ltr", textContent: String(call.counter) });
    arrow.setAttribute("aria-hidden", "true");
    item.append(number, arrow, counter);
    return item;
  }));
}

function showCall(call, announce) {
  screen.recent = [call, ...screen.recent.filter((other) => other.number !== call.number)].slice(0, MAX_RECENT);
  renderCurrent(call, announce);
  renderRecent(announce ? call.number : null);
  if (announce) announcer.announce(call); // the chime, then the spoken call, one call at a time
}

// A screen whose browser refuses to play sound still shows every call, and tells staff how to fix it: the hint
// on the screen, a small crossed-out speaker in its corner, and the staff pages ("Display X cannot play
// sound", its device health: POST /api/display/sound, told once per change; cleared when a sound plays).
function setSound(state) {
  document.body.dataset.sound = state;
  $("speech-status").hidden = state !== "blocked";
  if (state === "blocked") $("sound-hint").hidden = false;
  $("sound-off").hidden = state === "ok";
  reportSound(state);
}

async function reportSound(state) {
  if (screen.soundReported === state) return;
  screen.soundReported = state;
  try {
    const response = await fetch("/api/display/sound", {
      method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ state }),
    });
    if (!response.ok) throw new Error(`sound report: HTTP ${response.status}`);
  } catch {
    if (screen.soundReported === state) screen.soundReported = null; // told again at the next sound
  }
}

function forgetCall(number) {
  const wasCurrent = screen.recent[0]?.number === number;
  screen.recent = screen.recent.filter((call) => call.number !== number);
  if (wasCurrent) renderCurrent(screen.recent[0], false);
  renderRecent(null);
}

function renderWaiting(counts) {
  for (const [code, count] of Object.entries(counts || {})) {
    const node = $(`waiting-${code}`);
    if (node) node.textContent = String(count);
  }
}

// --- the supervisor's message (a ticker), until its end on the server's clock -----------------------------
function renderTicker() {
  const ticker = screen.ticker;
  const showing = Boolean(ticker) && Date.parse(ticker.ends_at) > serverNow();
  $("ticker").hidden = !showing;
  clearTimeout(renderTicker.timer);
  if (!showing) return;
  setText($("ticker-text"), (ticker.texts || {})[language()] || ticker.text, language());
  renderTicker.timer = setTimeout(renderTicker, Math.min(Date.parse(ticker.ends_at) - serverNow() + 50, 2 ** 31 - 1));
}

function setTicker(ticker) {
  screen.ticker = ticker || null;
  renderTicker();
}

// --- live updates ---------------------------------------------------------------------------------------
// A supervisor changed this screen's zone (core/zones.py): the page is drawn again for it (its tiles).
const zoneKey = (zone) => JSON.stringify([zone?.services || [], zone?.counters || []]);

function zoneChanged(snapshot) {
  const changed = Boolean(snapshot.zone) && zoneKey(snapshot.zone) !== zoneKey(config.zone);
  if (changed) window.location.reload();
  return changed;
}

function applySnapshot(snapshot) {
  if (zoneChanged(snapshot)) return;
  screen.recent = (snapshot.recent || []).slice(0, MAX_RECENT).map((row) => ({
    number: row.number, service: row.service, counter: row.counter, at: row.called_at,
  }));
  renderCurrent(screen.recent[0], false);
  renderRecent(null);
  renderWaiting(snapshot.waiting);
  setTicker(snapshot.ticker);
}

function applyEvent(event) {
  renderWaiting(event.waiting);
  if (CALL_EVENTS.has(event.type) && event.counter != null) {
    const recentEnough = serverNow() - Date.parse(event.at) < REPLAY_ANNOUNCE_MS;
    const call = {
      seq: event.seq, number: event.number, service: event.service, counter: event.counter, at: event.at,
    };
    showCall(call, !event.replay || recentEnough);
  } else if (event.type === "floor.ticker") {
    setTicker({ text: event.text, texts: event.texts, ends_at: event.ends_at });
  } else if (event.type === "floor.ticker_cleared") {
    setTicker(null);
  } else if (event.type === "ticket.transferred") {
    forgetCall(event.number); // back to waiting: a fresh snapshot would not list it either
  } else if (event.type === "display.zone") {
    resync(); // some display's zone changed (which one is not said): ours, if the snapshot's zone differs
  }
  // "outside_zone": another zone's call; its seq is applied (live.js), nothing is shown
}

function setConnected(connected) {
  $("offline").hidden = connected;
}

// --- clock ----------------------------------------------------------------------------------------------
const timeFormat = new Intl.DateTimeFormat("en-GB", {
  hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: config.timezone,
});
const dayKey = new Intl.DateTimeFormat("en-CA", { timeZone: config.timezone });

function renderDate(now) {
  const date = $("date");
  // The date is the one number written in the screen's current language: in Arabic, the site's digits.
  date.textContent = new Intl.DateTimeFormat(language(), {
    weekday: "long", day: "numeric", month: "long", timeZone: config.timezone,
    numberingSystem: language() === "ar" ? numbering : "latn",
  }).format(now);
  date.lang = language();
}

function tickClock() {
  const now = new Date(serverNow());
  $("clock").textContent = timeFormat.format(now);
  renderDate(now);
  const day = dayKey.format(now);
  if (screen.day && day !== screen.day) resync(); // a new day: yesterday's calls leave the screen
  screen.day = day;
}

async function fetchSnapshot() {
  const sentAt = Date.now();
  const response = await fetch("/api/display/snapshot", { credentials: "same-origin" });
  if (!response.ok) throw new Error(`snapshot: HTTP ${response.status}`);
  const serverDate = Date.parse(response.headers.get("Date") || "");
  if (!Number.isNaN(serverDate)) screen.clockOffset = serverDate + 500 - (sentAt + Date.now()) / 2;
  return response.json();
}

async function resync() {
  try {
    const snapshot = await fetchSnapshot();
    if (zoneChanged(snapshot)) return;
    if (screen.live && screen.live.seq !== null && snapshot.seq < screen.live.seq) return;
    applySnapshot(snapshot);
    screen.live?.advance(snapshot.seq);
  } catch {
    // the socket catches up on its own; the next day change tries again
  }
}

async function start() {
  setUpSound();
  applyLanguage();
  tickClock();
  setInterval(tickClock, 1000);
  if (config.languages.length > 1) setInterval(rotateLanguage, LANGUAGE_SECONDS * 1000);
  let lastSeq = null;
  try {
    const snapshot = await fetchSnapshot();
    applySnapshot(snapshot);
    lastSeq = snapshot.seq;
    document.body.dataset.lastSeq = String(lastSeq);
  } catch {
    lastSeq = null; // the socket's snapshot will fill the screen
  }
  screen.live = connectLive("/display", {
    lastSeq, onEvent: applyEvent, onSnapshot: applySnapshot, onStatus: setConnected,
  });
}

start();
