// The visitor's own settings and the audio guide (EN 301 549 §5.1.3: the kiosk without sight).
//
// Large text and high contrast are classes on <html> (assist_boot.js sets them before the page is drawn);
// they, and the guide, hold for one visitor across the kiosk's pages and are reset when the kiosk returns to
// its start for the next one (the idle reset, "Done").
//
// The guide is turned on by its button, by F2 (the keypad's audio key: a site maps its headphone jack to it)
// or by the keypad's first arrow key. Then the arrow keys move among the screen's actions and say the one
// reached ("Passport, button, 3 of 5"), OK (Enter) presses it, Back (Escape; Backspace) takes the screen's way
// back, a number key 1–9 presses the n-th action and 0 says the screen again. Each new screen is read out:
// its title and what it asks; the ticket screen, the ticket's number and the wait; a status that changes
// (printing, the payment, a refused code) is said when it changes. Every sentence comes from the page, in its
// language: the server only agrees to say the site's own words (docs/accessibility.md).
import { configure, speak, speaking, stop } from "./speaker.js";
import { watchIdle } from "./idle.js";

const settings = JSON.parse(document.getElementById("assist-settings").textContent);
const kiosk = JSON.parse(document.getElementById("kiosk-settings").textContent);
const strings = settings.strings;
const prefs = window.dourAssist;
const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);
const ACTIONS = "button, a.button";
const NEXT = new Set(["ArrowDown", "ArrowRight"]);
const PREVIOUS = new Set(["ArrowUp", "ArrowLeft"]);
const BURST_MS = 60; // a keyboard-wedge scanner types faster (wedge.js): its digits never press a choice
const AUDIO_PATIENCE = 2; // the guide doubles the wait before the inactivity warning

let current = null; // the action the guide reached
let lastScreen = null;
let ticket = null; // the ticket on screen, as the server sent it (kiosk.js: `dour:ticket`)
let idle = null;
const heard = new Map(); // status element → what was last said of it
const typed = { timer: 0, at: -Infinity };

const audioOn = () => Boolean(prefs.read().audio);
const anyOn = () => ["audio", "large", "contrast"].some((name) => prefs.read()[name]);
const fill = (template, values) => template.replace(/\{(\w+)\}/g, (_, name) => String(values[name]));
const shown = (el) => !el.closest("[hidden]") && el.checkVisibility();

// --- what an element says ------------------------------------------------------------------------------
// Its text, in the lines the screen shows it in (a service: its name, its fee, its waiting count), with
// `data-say` instead of what a sign says better than a voice ("about 10 to 20 minutes" for "10–20 min").
function lines(el) {
  if (el.dataset.say) return [el.dataset.say];
  if (el.getAttribute("aria-label")) return [el.getAttribute("aria-label")];
  const out = [""];
  const walk = (node) => {
    if (node.nodeType === Node.TEXT_NODE) {
      out[out.length - 1] += node.data;
      return;
    }
    if (node.nodeType !== Node.ELEMENT_NODE || node.hidden || node.matches("svg, script, img, [aria-hidden=true]")) {
      return;
    }
    if (node.dataset.say) {
      out[out.length - 1] += ` ${node.dataset.say} `;
      return;
    }
    const block = getComputedStyle(node).display !== "inline";
    if (block) out.push("");
    node.childNodes.forEach(walk);
    if (block) out.push("");
  };
  el.childNodes.forEach(walk);
  return out.map(tidy).filter(Boolean);
}

// "45,00 €" is said "45 €", "·" a pause; a lone character (a keypad key) is spelled.
const tidy = (text) => text.replace(/\s*·\s*/g, ", ").replace(/(\d)[.,]00(?!\d)/g, "$1").replace(/\s+/g, " ")
  .trim();

function sentences(el, lang = settings.lang) {
  return lines(el).map((text) => (/^[A-Z0-9]$/.test(text) ? { text: "{code}", code: text, lang }
    : { text, lang }));
}

// --- the screen and its actions ------------------------------------------------------------------------
function screen() {
  return document.querySelector(".flow-screen:not([hidden])") || byTestId("start-screen");
}

function actions() {
  const warning = byTestId("idle-warning");
  if (!warning.hidden) return [...warning.querySelectorAll(ACTIONS)];
  const toggles = [...document.querySelectorAll("[data-assist-toggle]")].filter(shown);
  const own = [...screen().querySelectorAll(ACTIONS)].filter((el) => shown(el) && !toggles.includes(el));
  const header = [...document.querySelectorAll(`.kiosk-header :is(${ACTIONS})`)]
    .filter((el) => shown(el) && !toggles.includes(el));
  return [...own, ...header, ...toggles];
}

function describe(el, index, total) {
  const lang = el.lang || settings.lang;
  const choice = settings.languages.find((language) => language.lang === lang);
  const pressed = el.getAttribute("aria-pressed");
  let state = "button";
  if (el.disabled) state = "unavailable";
  else if (pressed !== null) state = pressed === "true" ? "on" : "offState";
  const template = choice && state === "button" ? choice.button : strings[state];
  return [...sentences(el, lang), { text: fill(template, { index, total }), lang }];
}

function reach(el, list) {
  document.querySelector(".assist-current")?.classList.remove("assist-current");
  current = el;
  el.classList.add("assist-current");
  el.focus({ preventScroll: true });
  el.scrollIntoView({ block: "nearest" });
  return describe(el, list.indexOf(el) + 1, list.length);
}

function move(step) {
  const list = actions();
  if (!list.length) return;
  const at = list.indexOf(current);
  const next = at < 0 ? (step > 0 ? 0 : list.length - 1) : (at + step + list.length) % list.length;
  speak(reach(list[next], list));
}

function press(el) {
  if (!el) return readScreen();
  if (el.disabled) return speak(describe(el, actions().indexOf(el) + 1, actions().length));
  el.click();
  if (el.hasAttribute("aria-pressed") && !el.dataset.assistToggle) {
    speak(describe(el, actions().indexOf(el) + 1, actions().length));
  }
}

function pick(number) {
  const list = actions();
  if (number > list.length) return;
  reach(list[number - 1], list);
  press(list[number - 1]);
}

function back() {
  const own = [...screen().querySelectorAll("[data-assist-back]")].find(shown);
  const shared = [...document.querySelectorAll("[data-assist-back-of]")]
    .find((el) => el.dataset.assistBackOf === screen().dataset.testid);
  press(own || shared || null);
}

// --- reading a screen ----------------------------------------------------------------------------------
function screenSentences() {
  const el = screen();
  if (el.dataset.testid === "start-screen") {
    return settings.languages.map((language) => ({ text: language.title, lang: language.lang }));
  }
  if (el.dataset.testid === "ticket-screen" && ticket) return ticketSentences();
  return [...el.querySelectorAll("h1, [data-assist-read]")].filter(shown).flatMap((part) => sentences(part));
}

function ticketSentences() {
  const lang = settings.lang;
  const estimate = ticket.estimate;
  const wait = estimate ? fill(strings.waitRange, { low: estimate.low, high: estimate.high })
    : fill(strings.waitMinutes, { minutes: ticket.wait_minutes });
  const extra = ["ticket-priority", "ticket-appointment", "ticket-persons"].map(byTestId).filter(shown);
  const after = [...screen().querySelectorAll(
    "[data-print]:not(button), .fee-offer h2, .fee-offer p, .receipt h2, .receipt tfoot")].filter(shown);
  return [
    { text: strings.ticket, code: ticket.ticket.number, lang },
    { text: ticket.ticket.service_name, lang },
    ...extra.flatMap((part) => sentences(part)),
    { text: wait, lang },
    { text: fill(strings.ahead, { num: ticket.people_ahead }), lang },
    ...after.flatMap((part) => sentences(part)),
  ];
}

function readScreen({ help = false } = {}) {
  const told = prefs.read().told;
  const first = help || (kiosk.chosen && told !== settings.lang);
  if (first && kiosk.chosen) prefs.write({ ...prefs.read(), told: settings.lang });
  speak([...(first && kiosk.chosen ? [{ text: strings.help, lang: settings.lang }] : []), ...screenSentences()]);
}

// What the page changed: a new screen is read out; a status (data-assist-live) that changed is said, cutting
// what is said (`assertive`: a refused code) or after it (`polite`: "Printing your ticket…").
function changed() {
  const now = `${screen().dataset.testid}`;
  const live = [...document.querySelectorAll("[data-assist-live]")];
  const say = (el) => (shown(el) ? lines(el).join(" ") : "");
  if (now !== lastScreen) {
    lastScreen = now;
    current = null;
    live.forEach((el) => heard.set(el, say(el)));
    if (audioOn()) readScreen();
    return;
  }
  for (const el of live) {
    const text = say(el);
    if (text === heard.get(el)) continue;
    heard.set(el, text);
    if (text && audioOn()) speak(sentences(el), { after: el.dataset.assistLive !== "assertive" });
  }
}

// --- keys ----------------------------------------------------------------------------------------------
// A character is acted on a moment later, unless another follows at once: then it is a scanner's code.
function character(act) {
  const now = performance.now();
  const burst = now - typed.at < BURST_MS;
  typed.at = now;
  clearTimeout(typed.timer);
  typed.timer = burst ? 0 : setTimeout(act, BURST_MS);
}

// On the appointment screen, the keypad's characters type the booking reference; elsewhere 1–9 choose.
function typeOrPick(key) {
  const typing = screen().dataset.testid === "appointment-screen";
  const keyButton = typing && document.querySelector(`[data-key="${CSS.escape(key.toUpperCase())}"]`);
  if (keyButton) {
    keyButton.click();
    return speak([{ text: "{code}", code: key.toUpperCase(), lang: settings.lang }]);
  }
  if (key === "0") return readScreen();
  if (/^[1-9]$/.test(key)) pick(Number(key));
}

function onKey(event) {
  if (event.key === settings.audioKey || (!audioOn() && (NEXT.has(event.key) || PREVIOUS.has(event.key)))) {
    event.preventDefault();
    return setAudio(event.key === settings.audioKey ? !audioOn() : true);
  }
  if (!audioOn() || event.ctrlKey || event.altKey || event.metaKey) return;
  const typing = screen().dataset.testid === "appointment-screen";
  if (NEXT.has(event.key) || PREVIOUS.has(event.key)) move(NEXT.has(event.key) ? 1 : -1);
  else if (event.key === "Enter") press(current && actions().includes(current) ? current : null);
  else if (event.key === "Escape") back();
  else if (event.key === "Backspace" && typing && !byTestId("reference-backspace").disabled) {
    byTestId("reference-backspace").click();
  } else if (event.key === "Backspace") back();
  else if (/^[0-9a-zA-Z]$/.test(event.key)) return character(() => typeOrPick(event.key));
  else return;
  event.preventDefault();
}

// --- the toggles ---------------------------------------------------------------------------------------
function showPrefs() {
  const now = prefs.read();
  for (const button of document.querySelectorAll("[data-assist-toggle]")) {
    button.setAttribute("aria-pressed", String(Boolean(now[button.dataset.assistToggle])));
  }
}

function setAudio(on) {
  prefs.write({ ...prefs.read(), audio: on, told: on ? prefs.read().told : null });
  showPrefs();
  if (!on) {
    speak([{ text: strings.off, lang: settings.lang }]);
    return;
  }
  readScreen({ help: true });
}

function toggle(button) {
  const name = button.dataset.assistToggle;
  if (name === "audio") return setAudio(!audioOn());
  prefs.write({ ...prefs.read(), [name]: !prefs.read()[name] });
  showPrefs();
  if (audioOn()) speak(describe(button, actions().indexOf(button) + 1, actions().length));
}

// The visitor is done (idle reset, "Done"): the next one finds the kiosk as it was.
export function endVisit() {
  prefs.clear();
  stop();
}

// What the inactivity warning needs from the guide: more patience, none of it spent while the visitor
// listens; the warning said aloud, and that there is more time.
export const idleHooks = {
  patience: () => (audioOn() ? AUDIO_PATIENCE : 1),
  isListening: () => audioOn() && speaking(),
  onWarn: () => {
    if (!audioOn()) return;
    speak([strings.stillThere, strings.pressForMore, strings.otherwise].map((text) => ({ text, lang: settings.lang })));
  },
  onExtend: () => {
    if (audioOn()) speak([{ text: strings.moreTime, lang: settings.lang }]);
  },
};

// The wait before the warning counts from the end of what the guide said, not from the last key.
export function followIdle(handle) {
  idle = handle;
}

function watchStartScreen() {
  // Nobody chose a language yet: a visitor who turned something on and left is followed by the next one.
  followIdle(watchIdle({
    idleSeconds: kiosk.idleSeconds, warningSeconds: kiosk.warningSeconds, overlay: byTestId("idle-warning"),
    countdown: byTestId("idle-countdown"), isHeld: () => !anyOn(),
    onExpire: () => { endVisit(); window.location.replace(kiosk.startUrl); }, ...idleHooks,
  }));
}

function start() {
  configure({ url: settings.speechUrl, onEnd: () => idle?.touch() });
  showPrefs();
  for (const button of document.querySelectorAll("[data-assist-toggle]")) {
    button.addEventListener("click", () => toggle(button));
  }
  byTestId("done")?.addEventListener("click", endVisit);
  document.addEventListener("keydown", onKey); // bubbling: a scanner's Enter never gets here (wedge.js)
  document.addEventListener("dour:ticket", (event) => { ticket = event.detail; });
  let pending = 0;
  new MutationObserver(() => {
    clearTimeout(pending);
    pending = setTimeout(changed, 50); // one screen change is many mutations
  }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true,
    attributeFilter: ["hidden"] });
  if (!kiosk.chosen) watchStartScreen();
  changed();
}

start();
