// JSON calls to the site's API in the agent's language, and the page's alert region.

const LANG = document.documentElement.lang;

// The server's clock as its last answer gave it (the `Date` header, to the second): "now" on a staff page is
// the site's, not the desk PC's, whose clock may be off.
let clockOffset = 0;
export const serverNow = () => Date.now() + clockOffset;

function followServerClock(response) {
  const date = Date.parse(response.headers.get("Date") || "");
  if (!Number.isNaN(date)) clockOffset = date + 500 - Date.now(); // the header drops the milliseconds
}

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// Reads the dictionary of translated strings the template rendered into the page.
export function pageStrings() {
  return JSON.parse(document.getElementById("strings").textContent);
}

// The API helper's own sentences, rendered once by the staff pages' layout.
function apiStrings() {
  return JSON.parse(document.getElementById("api-strings").textContent);
}

// "Counter {number}" + {number: 5} → "Counter 5" (the template keeps the placeholders).
export function format(template, values) {
  return template.replace(/\{(\w+)\}/g, (_, key) => String(values[key] ?? ""));
}

export async function api(method, path, body) {
  const url = `${path}${path.includes("?") ? "&" : "?"}lang=${encodeURIComponent(LANG)}`;
  const options = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify({ ...body, lang: LANG });
  }
  let response;
  try {
    response = await fetch(url, options);
  } catch {
    throw new ApiError(0, apiStrings().network_error);
  }
  followServerClock(response);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, data.message || apiStrings().server_error);
  return data;
}

export function showAlert(message) {
  const region = document.getElementById("alert");
  region.querySelector("[data-alert-text]").textContent = message;
  region.hidden = false;
}

export function clearAlert() {
  const region = document.getElementById("alert");
  region.hidden = true;
  region.querySelector("[data-alert-text]").textContent = "";
}

// Run one action of the page: its error goes to the alert region, and the page's view is refreshed after.
export async function actThenRefresh(call, refresh) {
  try {
    await call();
    clearAlert();
  } catch (error) {
    showAlert(error.message);
  }
  refresh();
}
