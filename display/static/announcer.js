// Spoken calls: one announcement at a time on this screen. Each call waits its turn in a queue; its turn is
// the chime, then its sentence in each spoken language, in order (GET /display/speech/<lang>/<number>/
// <counter>.wav, fetched while the chime rings). A sound starts only when the one before it has ended, failed
// or run past its bound, so nothing overlaps, nothing is cut off and the queue never sticks. A call is queued
// once per journal seq (the screen's rule: each seq is applied once), so nothing is said twice; a recall is a
// new seq and is said again. When the browser refuses to play (autoplay blocked), the call is still shown and
// `onSound("blocked")` lets the screen say so to staff; `onSound("failed")` when the sound could not load or
// play, `onSound("ok")` when a sound played. A muted screen plays nothing and reports nothing. docs/speech.md.
import { chime, chimeState } from "./chime.js";

// As chime.js rings: three notes 0.32 s apart, each fading over 1.3 s; never two chimes closer than 2.6 s.
const CHIME_MS = 2000;
const CHIME_SPACING_MS = 2600;
const SENTENCE_GAP_MS = 300; // between the languages of one call
const START_TIMEOUT_MS = 5000; // a sentence that has not started by then (server away) is skipped
const PLAY_TIMEOUT_MS = 15000; // the longest sentence lasts ~5 s: a stalled one is stopped
const LOG_LIMIT = 500;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function speechUrl(lang, call) {
  const part = encodeURIComponent;
  return `/display/speech/${part(lang)}/${part(call.number)}/${part(String(call.counter))}.wav`;
}

// What was played and when (epoch ms), newest last: window.dourAnnouncements, read by tests and bench/.
function makeLog() {
  const log = [];
  window.dourAnnouncements = log;
  return (entry) => {
    log.push(entry);
    if (log.length > LOG_LIMIT) log.splice(0, log.length - LOG_LIMIT);
    return entry;
  };
}

// An element that can never start late: a sentence given up on is emptied, not just paused.
function silence(audio) {
  audio.pause();
  audio.removeAttribute("src");
  audio.load();
}

function play(audio, entry, onSound) {
  return new Promise((resolve) => {
    let timer = null;
    const finish = (outcome) => {
      if (entry.outcome) return;
      clearTimeout(timer);
      Object.assign(entry, { outcome, end: Date.now() });
      if (outcome !== "played") silence(audio);
      resolve(outcome);
    };
    audio.addEventListener("playing", () => {
      if (entry.playing) return;
      entry.playing = Date.now();
      clearTimeout(timer);
      timer = setTimeout(() => finish("timeout"), PLAY_TIMEOUT_MS);
    });
    audio.addEventListener("ended", () => finish("played"), { once: true });
    audio.addEventListener("error", () => {
      if (!entry.outcome) onSound("failed"); // not once emptied by us (silence() makes an element fail too)
      finish("error");
    }, { once: true });
    timer = setTimeout(() => finish("timeout"), START_TIMEOUT_MS);
    entry.start = Date.now();
    audio.play().then(() => onSound("ok"), (error) => {
      const blocked = error && error.name === "NotAllowedError";
      console.warn(`announcement not played (${error && error.name}): ${entry.url}`);
      if (blocked) onSound("blocked");
      else if (!entry.outcome && error?.name !== "AbortError") onSound("failed"); // AbortError: we stopped it
      finish(blocked ? "blocked" : "error");
    });
  });
}

export function createAnnouncer({ languages = [], volume = 100, muted = false } = {}, onSound = () => {}) {
  const record = makeLog();
  const queue = [];
  let busy = false;
  let lastSeq = -Infinity;
  let lastChimeAt = -Infinity;

  async function announceOne(call) {
    const about = { seq: call.seq, number: call.number, counter: call.counter, queued: call.queued };
    if (muted) {
      record({ ...about, kind: "muted", start: Date.now(), end: Date.now() });
      return;
    }
    const sentences = languages.map((lang) => {
      const audio = new Audio(speechUrl(lang, call)); // loads during the chime
      audio.volume = Math.max(0, Math.min(1, volume / 100));
      return { lang, audio };
    });
    await sleep(lastChimeAt + CHIME_SPACING_MS - Date.now());
    lastChimeAt = Date.now();
    chime();
    if (sentences.length === 0) onSound(chimeState()); // the chime only: it alone tells whether sound works
    record({ ...about, kind: "chime", start: lastChimeAt, end: lastChimeAt + CHIME_MS, outcome: "played" });
    await sleep(CHIME_MS);
    for (const [index, { lang, audio }] of sentences.entries()) {
      if (index > 0) await sleep(SENTENCE_GAP_MS);
      const entry = record({ ...about, kind: "speech", lang, url: speechUrl(lang, call) });
      if (await play(audio, entry, onSound) === "blocked") {
        sentences.slice(index + 1).forEach(({ audio: rest }) => silence(rest));
        break; // the browser will refuse the other languages too: on to the next call
      }
    }
  }

  async function run() {
    busy = true;
    while (queue.length > 0) await announceOne(queue.shift());
    busy = false;
  }

  return {
    // Queue a call ({seq, number, counter}); one still waiting to be said for that ticket and counter is
    // enough, so it is not queued twice.
    announce(call) {
      if (call.seq != null) {
        if (call.seq <= lastSeq) return;
        lastSeq = call.seq;
      }
      if (queue.some((waiting) => waiting.number === call.number && waiting.counter === call.counter)) return;
      queue.push({ ...call, queued: Date.now() });
      if (!busy) run();
    },
  };
}
