// The staff pages' dialogs: transfer (to a service or a counter) and "are you sure?". Escape closes both.
import { format } from "./api.js";

function button(label, detail, testid, onClick) {
  const element = document.createElement("button");
  element.type = "button";
  element.dataset.testid = testid;
  element.className = "choice";
  element.append(Object.assign(document.createElement("strong"), { textContent: label }));
  if (detail) element.append(Object.assign(document.createElement("small"), { textContent: detail }));
  element.addEventListener("click", onClick);
  return element;
}

// Resolves to {service} or {counter} for the transfer request, or null when the agent cancels.
export function chooseTransferTarget({ ticket, services, counters, myCounter, serviceName, strings }) {
  const dialog = document.getElementById("transfer-dialog");
  document.getElementById("transfer-title").textContent = format(strings.transfer_title, { number: ticket.number });
  return new Promise((resolve) => {
    let chosen = null;
    const pick = (target) => () => { chosen = target; dialog.close(); };
    document.getElementById("transfer-services").replaceChildren(...services.map((code) =>
      button(serviceName(code), null, `transfer-service-${code}`, pick({ service: code }))));
    document.getElementById("transfer-counters").replaceChildren(...counters
      .filter((counter) => counter.number !== myCounter)
      .map((counter) => button(
        format(strings.counter_number, { number: counter.number }),
        counter.open_by === null ? strings.counter_closed : counter.services.map(serviceName).join(", "),
        `transfer-counter-${counter.number}`, pick({ counter: counter.number }),
      )));
    dialog.addEventListener("close", () => resolve(chosen), { once: true });
    dialog.showModal();
  });
}

// Resolves to true when the person confirms; Escape or Cancel resolves to false. `okLabel`, when given, names
// the OK button after the action. Either way the focus goes back to what had it (the button that asked).
export function confirmAction(message, okLabel) {
  const dialog = document.getElementById("confirm-dialog");
  document.getElementById("confirm-text").textContent = message;
  if (okLabel) dialog.querySelector("button[value=ok]").textContent = okLabel;
  dialog.returnValue = "";
  const opener = document.activeElement;
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
      resolve(dialog.returnValue === "ok");
    }, { once: true });
    dialog.showModal();
  });
}

export function openDialog() {
  return document.querySelector("dialog[open]");
}
