// Inactivity reset for a public screen: warn, count down, then hand over to `onExpire`.
// Any touch, click or key press restarts the wait and hides the warning (WCAG 2.2.1: the visitor can extend);
// the warning's "More time" button says so. While `isHeld()` is true the screen is the visitor's, however
// long they take: no warning, no reset (a payment on the terminal, a ticket that exists only on this screen).
// The audio guide (audio_assist.js) hears of the warning (`onWarn`: it says it) and of the extension
// (`onExtend`), stretches the wait (`patience()`: a factor), holds it while the visitor listens
// (`isListening()`) and restarts it when it has finished speaking (`touch()`, which leaves a warning on
// screen alone).

export function watchIdle({
  idleSeconds, warningSeconds, overlay, countdown, onExpire, isHeld = () => false,
  onWarn = () => {}, onExtend = () => {}, patience = () => 1, isListening = () => false,
}) {
  const warning = Math.min(warningSeconds, idleSeconds);
  const held = () => isHeld() || (overlay.hidden && isListening());
  let warnTimer = 0;
  let tickTimer = 0;
  let deadline = 0;

  function tick() {
    if (held()) {
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
    if (held()) {
      restart();
      return;
    }
    deadline = Date.now() + warning * 1000;
    overlay.hidden = false;
    tick();
    tickTimer = setInterval(tick, 250);
    onWarn();
  }

  function restart() {
    clearTimeout(warnTimer);
    clearInterval(tickTimer);
    overlay.hidden = true;
    warnTimer = setTimeout(warn, (idleSeconds * patience() - warning) * 1000);
  }

  // The visitor's answer to the warning: it extends the wait, and a key that does so does nothing else (it
  // must not also press the button the audio guide had reached).
  function activity(event) {
    const warned = !overlay.hidden;
    restart();
    if (!warned) return;
    if (event.type === "keydown") {
      event.preventDefault();
      event.stopPropagation();
    }
    onExtend();
  }

  // Capture phase: the touch that dismisses the warning lands on the overlay, never on a button under it.
  for (const type of ["pointerdown", "touchstart", "wheel"]) {
    document.addEventListener(type, activity, { capture: true, passive: true });
  }
  document.addEventListener("keydown", activity, { capture: true });
  restart();
  return { touch: () => { if (overlay.hidden) restart(); } };
}
