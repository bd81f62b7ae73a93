// The live board: listens to /board/events (server-sent events; each event's data is only a contact id), and on
// any change fetches the board's rows (/board/rows) and swaps them in. Timers tick every second from the rows'
// data attributes. Without JavaScript the page still works: the server renders the same rows and a refresh link.

const board = document.querySelector("[data-board]");
const status = document.querySelector("[data-board-status]");

function span(seconds) {
  const s = Math.floor(Math.abs(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  const two = (n) => String(n).padStart(2, "0");
  if (h) return `${h} h ${two(m)} min`;
  if (m) return `${m} min ${two(r)} s`;
  return `${r} s`;
}

function tick() {
  const now = Date.now();
  for (const cell of board.querySelectorAll("[data-age][data-since]")) {
    cell.textContent = span((now - Date.parse(cell.dataset.since)) / 1000);
  }
  for (const cell of board.querySelectorAll("[data-timer][data-attend-by]")) {
    const left = (Date.parse(cell.dataset.attendBy) - now) / 1000;
    if (left >= 0) {
      cell.textContent = `${span(left)} left`;
      cell.classList.remove("sg-overdue");
    } else {
      cell.replaceChildren(Object.assign(document.createElement("strong"), {textContent: `Overdue by ${span(left)}`}));
      cell.classList.add("sg-overdue");
    }
  }
}

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
      tick();
    } while (again);
  })().finally(() => { pending = null; });
  return pending;
}

if (board) {
  tick();
  setInterval(tick, 1000);
  if ("EventSource" in window) {
    const events = new EventSource(board.dataset.eventsUrl);
    events.addEventListener("contact", () => { refresh(); });
    events.addEventListener("open", () => {
      board.dataset.live = "true";
      if (status) status.textContent = "Updating live.";
    });
    events.addEventListener("error", () => {
      board.dataset.live = "false";
      if (status) status.textContent = "Live updates paused; reconnecting.";
    });
    // A reconnect may have missed changes: fetch the rows whenever the stream (re)opens after the first time.
    let opened = false;
    events.addEventListener("open", () => { if (opened) refresh(); opened = true; });
  }
}
