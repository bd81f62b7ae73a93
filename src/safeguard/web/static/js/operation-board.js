// The live operation board: listens to /operations/{id}/board/events (server-sent events; each event's data is
// only the operation id, or "none" for a force-wide arrest or charge), and on any event fetches the board's
// figures (/operations/{id}/board/rows) and swaps them in. Without JavaScript the page still works: the server
// renders the same figures and a refresh link.

const board = document.querySelector("[data-operation-board]");
const status = document.querySelector("[data-operation-board-status]");

let pending = null;
let again = false;

async function refresh() {
  if (pending) {
    again = true;
    return pending;
  }
  pending = (async () => {
    do {
      again = false;
      const response = await fetch(board.dataset.rowsUrl, {credentials: "same-origin", headers: {Accept: "text/html"}});
      if (response.redirected || !response.ok) {
        if (status) status.textContent = "The board could not be updated. Refresh the page.";
        return;
      }
      board.innerHTML = await response.text();
    } while (again);
  })().finally(() => { pending = null; });
  return pending;
}

if (board && "EventSource" in window) {
  const events = new EventSource(board.dataset.eventsUrl);
  let opened = false;
  events.addEventListener("board", () => { refresh(); });
  events.addEventListener("open", () => {
    board.dataset.live = "true";
    if (status) status.textContent = "Updating live.";
    // A reconnect may have missed changes: fetch the figures whenever the stream opens after the first time.
    if (opened) refresh();
    opened = true;
  });
  events.addEventListener("error", () => {
    board.dataset.live = "false";
    if (status) status.textContent = "Live updates paused; reconnecting.";
  });
}
