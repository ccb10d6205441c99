// What the payments page's two modules share: its configuration and strings, money and times in the
// page's language (exact minor units, the site's time zone), amounts typed from a terminal's report, and
// dialogs holding a form that stays open until what was typed makes sense.
import { format, pageStrings } from "./api.js";
import { siteTimeFormat } from "./site_time.js";

const LANG = document.documentElement.lang;
export const config = JSON.parse(document.getElementById("payments-config").textContent);
export const strings = pageStrings();

const timeFormat = siteTimeFormat(LANG, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
const moneyFormats = new Map();
const AUTH_CODE = /^[0-9A-Za-z]{1,12}$/;

function moneyFormat(currency, signed) {
  const key = `${currency}:${signed}`;
  if (!moneyFormats.has(key)) {
    moneyFormats.set(key, new Intl.NumberFormat(LANG, {
      style: "currency", currency, signDisplay: signed ? "exceptZero" : "auto",
    }));
  }
  return moneyFormats.get(key);
}

export function fractionDigits(currency = config.currency) {
  return moneyFormat(currency, false).resolvedOptions().maximumFractionDigits;
}

// 6000 EUR → "60,00 €" in French; `signed` adds "+" to a positive difference.
export function money(minor, currency = config.currency, signed = false) {
  return moneyFormat(currency, signed).format(minor / 10 ** fractionDigits(currency));
}

// 12000 → "120,00": how the amount reads on a terminal's printed report, without the currency.
export function decimal(minor, currency = config.currency) {
  const digits = fractionDigits(currency);
  return new Intl.NumberFormat(LANG, { minimumFractionDigits: digits }).format(minor / 10 ** digits);
}

export function clock(iso) {
  return iso ? timeFormat.format(new Date(iso)) : "";
}

// "120,00", "120.00", "1 234,50", "1,234.50 €" → minor units; null when it is not an amount. The last "."
// or "," is the decimal mark when at most the currency's digits follow it; other marks group thousands.
export function parseAmount(text, currency = config.currency) {
  const digits = fractionDigits(currency);
  const compact = text.replace(/[\s'’]/g, "").replace(/^[^\d-]+|\D+$/g, ""); // "-5" stays refused
  if (!/^\d[\d.,]*$/.test(compact)) return null;
  const mark = Math.max(compact.lastIndexOf("."), compact.lastIndexOf(","));
  let whole = compact;
  let fraction = "";
  if (mark >= 0 && compact.length - mark - 1 <= digits) {
    whole = compact.slice(0, mark);
    fraction = compact.slice(mark + 1);
  }
  if (/[.,]/.test(whole) && !/^\d{1,3}([.,]\d{3})+$/.test(whole)) return null;
  const minor = Number(whole.replace(/[.,]/g, "")) * 10 ** digits + Number(fraction.padEnd(digits, "0") || 0);
  return Number.isSafeInteger(minor) ? minor : null;
}

export function parseCount(text) {
  const trimmed = text.trim();
  return /^\d{1,6}$/.test(trimmed) ? Number(trimmed) : null;
}

// Who settled or resolved something, as the journal names them (user:<id>, terminal, recovery).
export function actorName(actor, me) {
  if (!actor) return "";
  if (me && actor === `user:${me.id}`) return strings.by_you;
  return { terminal: strings.by_terminal, recovery: strings.by_recovery }[actor] || actor;
}

export function cell(content, className) {
  const td = document.createElement("td");
  td.append(content ?? "–");
  if (className) td.className = className;
  return td;
}

// Codes and references read left to right in every language (an Arabic page keeps "**** 4242").
export function code(text) {
  if (!text) return "–";
  return Object.assign(document.createElement("bdi"), { dir: "ltr", textContent: text });
}

// Like format(), as nodes: each value in a <bdi>, so that a French note keeps its own direction on an
// Arabic page (and an Arabic note on a French one).
export function isolated(template, values) {
  return template.split(/(\{\w+\})/).filter(Boolean).map((part) => {
    const key = /^\{(\w+)\}$/.exec(part)?.[1];
    if (!key || !(key in values)) return part;
    return Object.assign(document.createElement("bdi"), { textContent: String(values[key] ?? "") });
  });
}

export function setStatus(message) {
  document.getElementById("status").textContent = message;
}

// A note is required wherever a supervisor settles or resolves something by hand.
export function noteProblem(form) {
  const note = form.elements.note;
  return note.value.trim() && note.value.length <= 500 ? null : { message: strings.note_needed, field: note };
}

// Opens a dialog holding a <form>; resolves to its FormData once `check(form)` finds nothing wrong (else
// the dialog stays open and says what to fix), or to null when cancelled (the Cancel button or Esc).
export function askInDialog(dialog, check, prepare = () => {}) {
  const form = dialog.querySelector("form");
  const error = dialog.querySelector("[data-dialog-error]");
  const cancel = dialog.querySelector("[data-dialog-cancel]");
  form.reset();
  form.querySelectorAll("[aria-invalid]").forEach((field) => field.removeAttribute("aria-invalid"));
  error.hidden = true;
  prepare(form);
  return new Promise((resolve) => {
    const finish = (value) => {
      form.removeEventListener("submit", submit);
      cancel.removeEventListener("click", close);
      dialog.removeEventListener("close", closed);
      if (dialog.open) dialog.close();
      resolve(value);
    };
    const submit = (event) => {
      event.preventDefault();
      form.querySelectorAll("[aria-invalid]").forEach((field) => field.removeAttribute("aria-invalid"));
      const problem = check(form);
      if (!problem) { finish(new FormData(form)); return; }
      error.textContent = problem.message;
      error.hidden = false;
      problem.field.setAttribute("aria-invalid", "true");
      problem.field.focus();
    };
    const close = () => dialog.close();
    const closed = () => finish(null);
    form.addEventListener("submit", submit);
    cancel.addEventListener("click", close);
    dialog.addEventListener("close", closed);
    dialog.showModal();
  });
}

function settleProblem(form) {
  const outcome = form.elements.outcome.value;
  if (!outcome) return { message: strings.outcome_needed, field: form.querySelector("[name=outcome]") };
  if (outcome === "charged" && !AUTH_CODE.test(form.elements.auth_code.value.trim())) {
    return { message: strings.auth_code_needed, field: form.elements.auth_code };
  }
  return noteProblem(form);
}

// Settling an unknown outcome from the terminal's journal: resolves to the request's body, or null.
export async function askSettlement(payment) {
  const dialog = document.getElementById("settle-dialog");
  const data = await askInDialog(dialog, settleProblem, () => {
    document.getElementById("settle-title").textContent = format(strings.settle_title,
      { reference: payment.reference });
    document.getElementById("settle-facts").textContent = format(strings.settle_facts, {
      amount: money(payment.amount_minor, payment.currency), kiosk: payment.kiosk,
      time: clock(payment.created_at),
    });
    document.getElementById("settle-auth-field").hidden = true;
  });
  if (!data) return null;
  const body = { outcome: data.get("outcome"), note: data.get("note").trim() };
  if (body.outcome === "charged") body.auth_code = data.get("auth_code").trim();
  return body;
}

// The authorisation code is asked for only when the terminal shows the payment charged.
document.getElementById("settle-dialog").addEventListener("change", (event) => {
  if (event.target.name !== "outcome") return;
  document.getElementById("settle-auth-field").hidden = event.target.value !== "charged";
});
