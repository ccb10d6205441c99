// The call chime, generated with the Web Audio API (no audio file). Chimes queue up and never overlap.
//
// Browsers keep audio suspended until a user gesture, unless the screen's browser was started with
// autoplay allowed (see systemd/); until sound runs, a small hint asks staff to click once.

const NOTES = [784, 659, 523]; // G5, E5, C5: a descending three-tone bell
const NOTE_GAP_S = 0.32;
const NOTE_DECAY_S = 1.3;
const CHIME_SPACING_MS = 2600;

let context = null;
let pending = 0;
let playing = false;

function hint() {
  return document.querySelector("[data-testid=sound-hint]");
}

function updateHint() {
  hint().hidden = Boolean(context && context.state === "running");
}

function unlock() {
  if (!context) return;
  context.resume().then(updateHint, updateHint);
}

export function setUpSound() {
  try {
    context = new AudioContext();
  } catch {
    context = null; // no audio device: calls are still shown
  }
  if (!context) return;
  context.addEventListener("statechange", updateHint);
  for (const type of ["pointerdown", "keydown", "touchstart"]) {
    document.addEventListener(type, unlock, { passive: true });
  }
  updateHint();
}

function bell(frequency, start) {
  for (const [multiple, level] of [[1, 0.32], [2.01, 0.08], [3.02, 0.03]]) {
    const oscillator = context.createOscillator();
    const gain = context.createGain();
    oscillator.type = "sine";
    oscillator.frequency.value = frequency * multiple;
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(level, start + 0.015);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + NOTE_DECAY_S);
    oscillator.connect(gain).connect(context.destination);
    oscillator.start(start);
    oscillator.stop(start + NOTE_DECAY_S + 0.05);
  }
}

function playNext() {
  if (pending === 0) { playing = false; return; }
  pending -= 1;
  playing = true;
  if (context && context.state === "running") {
    const start = context.currentTime + 0.05;
    NOTES.forEach((frequency, index) => bell(frequency, start + index * NOTE_GAP_S));
  }
  setTimeout(playNext, CHIME_SPACING_MS);
}

// Whether the chime can be heard: "ok" (audio running), "blocked" (the browser waits for a click: autoplay
// policy), "failed" (no audio at all).
export function chimeState() {
  if (!context || context.state === "closed") return "failed";
  return context.state === "running" ? "ok" : "blocked";
}

// Queues one chime and counts it on <body data-chimes> (tests read the count: one per announced call).
export function chime() {
  document.body.dataset.chimes = String(Number(document.body.dataset.chimes || 0) + 1);
  pending += 1;
  if (!playing) playNext();
}
