// Inactivity reset for a public screen: warn, count down, then hand over to `onExpire`.
// Any touch, click or key press restarts the wait and hides the warning (WCAG 2.2.1: the visitor can extend).
// While `isHeld()` is true the screen is the visitor's, however long they take: no warning, no reset
// (a payment on the terminal, a ticket that exists only on this screen).

export function watchIdle({
  idleSeconds, warningSeconds, overlay, countdown, onExpire, isHeld = () => false,
}) {
  const warning = Math.min(warningSeconds, idleSeconds);
  let warnTimer = 0;
  let tickTimer = 0;
  let deadline = 0;

  function tick() {
    if (isHeld()) {
      restart(); // the hold began during the warning: the visitor's screen comes back uncovered
      return;
    }
    const left = Math.ceil((deadline - Date.now()) / 1000);
    if (left <= 0) {
      clearInterval(tickTimer);
      onExpire();
      return;
    }
    if (countdown.textContent !== String(left)) countdown.textContent = String(left);
  }

  function warn() {
    if (isHeld()) {
      restart();
      return;
    }
    deadline = Date.now() + warning * 1000;
    overlay.hidden = false;
    tick();
    tickTimer = setInterval(tick, 250);
  }

  function restart() {
    clearTimeout(warnTimer);
    clearInterval(tickTimer);
    overlay.hidden = true;
    warnTimer = setTimeout(warn, (idleSeconds - warning) * 1000);
  }

  // Capture phase: the touch that dismisses the warning lands on the overlay, never on a button under it.
  for (const type of ["pointerdown", "touchstart", "keydown", "wheel"]) {
    document.addEventListener(type, restart, { capture: true, passive: true });
  }
  restart();
}
