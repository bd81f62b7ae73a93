// Keeps the DA specialist's queue fresh: every few seconds it fetches /specialist again and swaps in the new
// lists, and says (politely, to screen readers) when a new call is waiting. The page works without it: the
// "Refresh the list" link reloads it. Updates pause while the tab is hidden.

const region = document.querySelector("[data-specialist-queue]");

function waitingIds(root) {
  return new Set([...root.querySelectorAll('[data-testid="waiting"] [data-contact-id]')].map((row) => row.dataset.contactId));
}

async function refresh() {
  if (document.hidden) return;
  let response;
  try {
    response = await fetch(window.location.pathname, { headers: { Accept: "text/html" }, credentials: "same-origin" });
  } catch {
    return;
  }
  if (!response.ok || response.redirected) return;
  const html = await response.text();
  const fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-specialist-queue]");
  if (!fresh) return;
  const before = waitingIds(region);
  const after = waitingIds(fresh);
  const added = [...after].filter((id) => !before.has(id)).length;
  const announce = region.querySelector("[data-queue-announce]");
  for (const child of [...region.children]) {
    if (child !== announce) child.remove();
  }
  for (const child of [...fresh.children]) {
    if (!child.hasAttribute("data-queue-announce")) region.appendChild(document.importNode(child, true));
  }
  if (added > 0 && announce) {
    announce.textContent = added === 1 ? "1 new DA call is waiting for review." : `${added} new DA calls are waiting for review.`;
  }
}

if (region) {
  const seconds = Number.parseInt(region.dataset.refreshSeconds || "20", 10);
  if (seconds > 0) window.setInterval(refresh, seconds * 1000);
}
