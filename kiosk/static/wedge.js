// Keyboard-wedge scanners: a scanner that "types" its code, then Enter. Keys arriving fast (< GAP_MS apart)
// are one scan; a person typing is slower and is never taken for one.
//
// The scanner's keystrokes are decoded from `event.code` (the physical key) with the scanner's own layout,
// US by default, not from `event.key`: on an AZERTY system a US-configured scanner's "1" arrives as the key
// "&", yet its code is still "Digit1". With layout "os" (the scanner set to the system's layout) the
// characters the system produced (`event.key`) are trusted instead. See docs/devices.md.
const GAP_MS = 50;
const MIN_LENGTH = 4;

const US_KEYS = {
  Minus: ["-", "_"], Equal: ["=", "+"], BracketLeft: ["[", "{"], BracketRight: ["]", "}"],
  Backslash: ["\\", "|"], Semicolon: [";", ":"], Quote: ["'", '"'], Comma: [",", "<"], Period: [".", ">"],
  Slash: ["/", "?"], Backquote: ["`", "~"], Space: [" ", " "], NumpadDecimal: [".", "."],
  NumpadDivide: ["/", "/"], NumpadMultiply: ["*", "*"], NumpadSubtract: ["-", "-"], NumpadAdd: ["+", "+"],
};
"0123456789".split("").forEach((digit, index) => {
  US_KEYS[`Digit${digit}`] = [digit, ")!@#$%^&*("[index]];
  US_KEYS[`Numpad${digit}`] = [digit, digit];
});
for (const letter of "ABCDEFGHIJKLMNOPQRSTUVWXYZ") US_KEYS[`Key${letter}`] = [letter.toLowerCase(), letter];

export function decodeKey(event, layout) {
  if (layout === "os") return event.key && event.key.length === 1 ? event.key : null;
  if (event.ctrlKey || event.altKey || event.metaKey) return null;
  const pair = US_KEYS[event.code];
  return pair ? pair[event.shiftKey ? 1 : 0] : null;
}

// Calls onScan(text) for each fast burst of at least MIN_LENGTH characters ended by Enter. Only that Enter,
// and a space inside a burst (appointment codes contain some), are kept from the page: either would otherwise
// press the focused button. Other keys pass through untouched.
export function listenForWedgeScans({ layout = "us", onScan }) {
  let buffer = "";
  let last = -Infinity;
  document.addEventListener("keydown", (event) => {
    const now = performance.now();
    if (now - last > GAP_MS) buffer = "";
    last = now;
    if (event.key === "Enter" || event.code === "Enter" || event.code === "NumpadEnter") {
      if (buffer.length >= MIN_LENGTH) {
        event.preventDefault();
        event.stopPropagation();
        onScan(buffer);
      }
      buffer = "";
      return;
    }
    const char = decodeKey(event, layout);
    if (char === " " && buffer.length > 0) event.preventDefault();
    if (char !== null) buffer += char;
  }, { capture: true });
}
