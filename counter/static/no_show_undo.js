// The desk's Undo after a no-show: "Ticket A-042 marked as no-show. [Undo]" until the server's deadline
// (`undo_until`, by its clock; `policy.no_show_undo_seconds`). The server checks again: this only offers.
import { format, pageStrings } from "./api.js";

const strings = pageStrings();
const $ = (id) => document.getElementById(id);
let offer = null; // { ticket, timer }

// `answer` is the no-show's answer ({ticket, undo_until, now}); `onUndo(ticket)` runs on Undo (button or U).
export function offerUndo(answer, onUndo) {
  withdrawUndo();
  if (!answer.undo_until) return; // the site turned the undo off
  const left = Date.parse(answer.undo_until) - Date.parse(answer.now);
  if (!(left > 0)) return;
  const ticket = answer.ticket;
  offer = { ticket, onUndo, timer: setTimeout(withdrawUndo, left) };
  $("undo-bar").classList.add("active");
  $("undo-text").textContent = format(strings.no_show_marked, { number: ticket.number });
  $("btn-undo").hidden = false;
}

export function withdrawUndo() {
  if (offer) clearTimeout(offer.timer);
  offer = null;
  $("undo-bar").classList.remove("active");
  $("undo-text").textContent = "";
  $("btn-undo").hidden = true;
}

export function undoOffered() {
  return offer !== null;
}

$("btn-undo").addEventListener("click", () => {
  if (!offer) return;
  const { ticket, onUndo } = offer;
  withdrawUndo();
  onUndo(ticket);
});
