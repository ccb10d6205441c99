// This visitor's display settings, before the page is drawn (a classic script in <head>, so that a visitor
// who asked for high contrast never sees the default colours flash between two screens). They live in the
// tab's sessionStorage: they hold across the kiosk's pages for one visitor, and audio_assist.js clears them
// when the kiosk returns to its start for the next one. audio_assist.js reads and writes them through here.
window.dourAssist = (() => {
  const KEY = "dour.assist";
  const CLASSES = { audio: "assist-audio", large: "assist-large", contrast: "assist-contrast" };
  const read = () => {
    try {
      return JSON.parse(sessionStorage.getItem(KEY)) || {};
    } catch {
      return {};
    }
  };
  const apply = (prefs) => {
    for (const [name, className] of Object.entries(CLASSES)) {
      document.documentElement.classList.toggle(className, Boolean(prefs[name]));
    }
  };
  const write = (prefs) => {
    sessionStorage.setItem(KEY, JSON.stringify(prefs));
    apply(prefs);
  };
  const clear = () => {
    sessionStorage.removeItem(KEY);
    apply({});
  };
  apply(read());
  return { read, write, clear };
})();
