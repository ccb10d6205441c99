// The supervisor's "Staffing advice" panel (core/staffing.py): which services the forecast says will miss
// their promise, and what one more counter would change, as plain sentences. It arrives with the overview
// (`dour:overview`, which also names the services) and live when it changes (`staffing` on /counter, handed
// over by supervisor.js as `dour:staffing`); the newer of the two (`at`) wins.
import { format } from "./api.js";

const strings = JSON.parse(document.getElementById("staffing-strings").textContent);
const LANG = document.documentElement.lang;
const list = document.getElementById("staffing");
let names = {}; // service code → its name in the page's language
let staffing; // undefined: not heard yet; null: no forecast yet

function sentence(item) {
  const name = names[item.service] || item.service;
  const now = format(strings[item.kind] || strings.walk_in, {
    service: name, minutes: item.target_minutes, percent: item.percent, target: item.target_percent,
    waiting: item.waiting,
  });
  const parts = [now];
  if (item.overdue) parts.push(format(strings.overdue, { count: item.overdue }));
  if (item.percent_with_counter !== null) {
    const more = item.counter === null ? strings.new_counter : strings.counter;
    parts.push(format(more, { counter: item.counter, percent: item.percent_with_counter }));
  }
  return parts.join(" ").replace(/(\d) %/g, "$1\u00a0%"); // "66 %" never split over two lines
}

function render() {
  if (staffing === undefined) return;
  let lines = [strings.pending];
  if (staffing) lines = staffing.advice.length ? staffing.advice.map(sentence) : [strings.on_target];
  list.dataset.state = !staffing ? "pending" : staffing.advice.length ? "advice" : "on_target";
  // Rewritten only when a sentence changed, so that the live region reads each change once.
  const shown = [...list.children].map((item) => item.textContent);
  if (shown.join("\n") === lines.join("\n")) return;
  list.replaceChildren(...lines.map((text) => Object.assign(document.createElement("li"), { textContent: text })));
}

function take(next) {
  if (next && staffing && next.at < staffing.at) return; // an overview read before the last push
  staffing = next ?? null;
  render();
}

document.addEventListener("dour:overview", (event) => {
  names = Object.fromEntries(event.detail.services.map((s) => [s.code, s.names[LANG] || s.names.fr || s.code]));
  take(event.detail.staffing);
});
document.addEventListener("dour:staffing", (event) => take(event.detail));
