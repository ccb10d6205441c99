// The browser side of core/screens.py, shared by the display and the counter desk.
//
// Connects a Socket.IO namespace, passes the last journal seq it applied (on connect and on every
// reconnection), applies each event once and in seq order, and asks the server to `resume` when it sees a
// gap: two requests can commit seq 5 then 6 yet publish 6 first, and a screen must lose neither.

const RESUME_RETRY_MS = 3000;
const REJECTED_RETRY_MS = 15000;

export function connectLive(namespace, { lastSeq = null, onEvent, onSnapshot, onStatus = () => {} }) {
  let seq = lastSeq;
  let resumeTarget = null; // while set, we wait for a replay up to this seq
  let resumeTimer = null;
  const socket = io(namespace, { auth: { last_seq: seq } });

  const applied = () => { document.body.dataset.lastSeq = String(seq); };
  const refreshAuth = () => { socket.auth = { last_seq: seq }; };

  function askResume(target) {
    resumeTarget = Math.max(resumeTarget ?? 0, target);
    clearTimeout(resumeTimer);
    socket.emit("resume", { last_seq: seq });
    resumeTimer = setTimeout(() => { if (resumeTarget !== null) askResume(resumeTarget); }, RESUME_RETRY_MS);
  }

  function settleResume() {
    if (resumeTarget !== null && seq >= resumeTarget) {
      resumeTarget = null;
      clearTimeout(resumeTimer);
    }
  }

  socket.on("snapshot", (snapshot) => {
    seq = snapshot.seq;
    resumeTarget = null;
    clearTimeout(resumeTimer);
    onSnapshot(snapshot);
    applied();
    document.dispatchEvent(new CustomEvent("dour:snapshot", { detail: snapshot }));
  });

  socket.on("event", (event) => {
    if (seq !== null && event.seq <= seq) return; // already applied: never announce twice
    if (seq !== null && event.seq > seq + 1 && !event.replay) {
      askResume(event.seq); // the missing ones come back in order, this one with them
      return;
    }
    seq = event.seq;
    onEvent(event);
    applied();
    // Other modules of the page (device alerts) listen without opening a second connection.
    document.dispatchEvent(new CustomEvent("dour:event", { detail: event }));
    settleResume();
  });

  socket.io.on("reconnect_attempt", refreshAuth);
  socket.on("connect", () => onStatus(true));
  socket.on("disconnect", (reason) => {
    onStatus(false);
    if (reason === "io server disconnect") { refreshAuth(); socket.connect(); }
  });
  socket.on("connect_error", () => {
    onStatus(false);
    // Refused by the server (not enrolled, logged out): Socket.IO does not retry by itself.
    if (!socket.active) setTimeout(() => { refreshAuth(); socket.connect(); }, REJECTED_RETRY_MS);
  });

  return {
    socket,
    get seq() { return seq; },
    // A page that fetched state over HTTP moves the mark forward, so the socket does not replay it.
    advance(newSeq) {
      if (seq === null || newSeq > seq) { seq = newSeq; refreshAuth(); applied(); }
    },
  };
}
