// Services a supervisor paused, and the day's walk-in stop, kept live on the services screen: scanner.js's
// /kiosk socket hands over `floor` (and every reconnect) as `dour:floor`; this module then asks the server
// for the services again, in the visitor's language, and marks each button available or not, with why.
// A stop set for a later time takes effect at that time on the server's clock (a timer, no polling).
const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);
let stopTimer = 0;

function reasonNode(button) {
  let node = button.querySelector(".service-unavailable");
  if (!node) {
    node = Object.assign(document.createElement("span"), { className: "service-unavailable" });
    (button.querySelector(".pickup-text") || button).append(node);
  }
  return node;
}

function mark(button, why) {
  button.dataset.unavailable = why ? "true" : "";
  button.disabled = Boolean(why) || !byTestId("busy").hidden;
  const node = reasonNode(button);
  node.textContent = why || ""; // text, never HTML: a supervisor's note is shown as typed
  node.hidden = !why;
}

export function applyServices(data) {
  const clockOffset = Date.parse(data.now) - Date.now();
  const stop = data.walk_ins_stop;
  const untilStop = stop ? Date.parse(stop.from) - (Date.now() + clockOffset) : Infinity;
  const stopped = untilStop <= 0;
  for (const service of data.services) {
    for (const button of document.querySelectorAll(`[data-service="${CSS.escape(service.code)}"]`)) {
      const walkIn = button.dataset.kind === "walk_in";
      mark(button, service.paused || (walkIn && stopped ? stop.message : ""));
    }
  }
  clearTimeout(stopTimer);
  if (stop && !stopped && untilStop < 2 ** 31 - 1) stopTimer = setTimeout(() => applyServices(data), untilStop + 50);
}

export function followServices(settings) {
  document.addEventListener("dour:floor", async () => {
    try {
      const response = await fetch(settings.servicesUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (response.ok) applyServices(await response.json());
    } catch {
      // the next `floor` event or reconnect tries again; the server refuses a paused service anyway
    }
  });
}
