// Each service's waiting-time range under its waiting count ("15–25 min"): the server's background forecast
// (core/forecasts.py), read from the snapshot every half minute. A service without one shows nothing.

const POLL_SECONDS = 30;

function render(estimates) {
  for (const node of document.querySelectorAll("[data-estimate]")) {
    const estimate = estimates[node.dataset.estimate];
    node.textContent = estimate ? `${estimate.low}–${estimate.high}` : "";
    node.parentElement.hidden = !estimate;
  }
}

async function refresh() {
  try {
    const response = await fetch("/api/display/snapshot", { credentials: "same-origin" });
    if (response.ok) render((await response.json()).estimates || {});
  } catch {
    // offline: the last ranges stay until the next try
  } finally {
    setTimeout(refresh, POLL_SECONDS * 1000);
  }
}

refresh();
