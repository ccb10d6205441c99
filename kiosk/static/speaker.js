// The audio guide's voice: one utterance at a time. A new utterance cuts the one playing, because it answers
// the visitor's last key (a display, by contrast, queues its calls); an utterance spoken `after` (a status
// that changed: "Take your printed ticket.") waits for the end of the one playing instead.
// An utterance is a list of sentences { text, lang, code }: the server checks them, says them with the site's
// offline voice and answers where each one's WAV is (POST /api/kiosk/speech, docs/accessibility.md); they
// are played one after the other. What was said is kept in window.dourSpoken (tests and support), as the
// displays keep theirs in window.dourAnnouncements: { said: [sentences], heard (how many were played to
// their end), outcome, queued, start, end }, the outcome one of played, cut (by a newer one), refused
// (nothing the site may say), error, timeout, blocked (no sound allowed).
const REQUEST_TIMEOUT_MS = 8000;
const CLIP_TIMEOUT_MS = 30000;
const MAX_ANSWERS = 200;

const audio = new Audio();
const answers = new Map(); // the sentences (JSON) → their clip URLs: a page asks the server once for each
let url = "";
let onEnd = () => {};
let current = null; // { entry, abort }
let waiting = []; // utterances spoken `after`
let endClip = null; // resolves the clip playing (with "cut" when it is cut)
window.dourSpoken = [];

export function configure(settings) {
  url = settings.url;
  onEnd = settings.onEnd || onEnd;
}

const said = (item) => (item.code ? item.text.replace("{code}", item.code) : item.text);

export function speak(items, { after = false } = {}) {
  const sentences = items.filter((item) => item && item.text && item.text.trim());
  if (!sentences.length) return;
  if (after && current) {
    waiting.push(sentences);
    return;
  }
  stop();
  start(sentences);
}

export function stop() {
  waiting = [];
  if (current) finish(current, "cut");
}

export const speaking = () => current !== null;

async function start(sentences) {
  const entry = { said: sentences.map(said), heard: 0, lang: sentences[0].lang, outcome: null, queued: Date.now() };
  window.dourSpoken.push(entry);
  const utterance = { entry, abort: new AbortController() };
  current = utterance;
  let clips;
  try {
    clips = await clipUrls(sentences, utterance.abort.signal);
  } catch {
    return finish(utterance, "error");
  }
  if (current !== utterance) return;
  if (!clips.length) return finish(utterance, "refused");
  entry.start = Date.now();
  for (const clip of clips) {
    const outcome = await play(clip);
    if (current !== utterance) return;
    if (outcome !== "played") {
      answers.delete(JSON.stringify(sentences)); // a clip gone from the cache is asked for again next time
      return finish(utterance, outcome);
    }
    entry.heard += 1;
  }
  finish(utterance, "played");
}

async function clipUrls(sentences, signal) {
  const key = JSON.stringify(sentences);
  if (answers.has(key)) return answers.get(key);
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ say: sentences }),
    credentials: "same-origin",
    signal: AbortSignal.any([signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
  });
  if (!response.ok) throw new Error(String(response.status));
  const clips = (await response.json()).clips.map((clip) => clip.url);
  if (answers.size >= MAX_ANSWERS) answers.delete(answers.keys().next().value);
  answers.set(key, clips);
  return clips;
}

function play(clip) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => done("timeout"), CLIP_TIMEOUT_MS);
    let settled = false;
    function done(outcome) {
      if (settled) return; // a cut clip's play() may still reject later, when the next clip is playing
      settled = true;
      clearTimeout(timer);
      audio.onended = audio.onerror = null;
      if (endClip === done) endClip = null;
      resolve(outcome);
    }
    endClip = done;
    audio.onended = () => done("played");
    audio.onerror = () => done("error");
    audio.src = clip;
    audio.play().catch((error) => done(error.name === "NotAllowedError" ? "blocked" : "error"));
  });
}

function finish(utterance, outcome) {
  if (current !== utterance) return;
  current = null;
  utterance.abort.abort();
  Object.assign(utterance.entry, { outcome, end: Date.now() });
  if (endClip) {
    audio.pause();
    endClip("cut");
  }
  if (outcome !== "cut" && waiting.length) {
    start(waiting.shift());
    return;
  }
  if (outcome !== "cut") onEnd();
}
