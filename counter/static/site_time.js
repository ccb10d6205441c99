// Times on the staff pages are the site's (`site.timezone`, rendered by agent_layout.html), whatever zone the
// browser is set to: a desk PC left on another zone, a supervisor abroad. Every page formats times through
// here, never with the browser's own zone.
const { timezone } = JSON.parse(document.getElementById("site-time").textContent);

export const SITE_TIMEZONE = timezone;

// An Intl.DateTimeFormat in the site's zone (`options` may not choose another).
export function siteTimeFormat(locale, options) {
  return new Intl.DateTimeFormat(locale, { ...options, timeZone: timezone });
}

const siteDay = siteTimeFormat("en-CA", {});

// Whether two instants fall on the same calendar day at the site.
export function sameSiteDay(a, b) {
  return siteDay.format(new Date(a)) === siteDay.format(new Date(b));
}
