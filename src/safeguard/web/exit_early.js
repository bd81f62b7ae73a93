// Quick exit before quick-exit.js has started. The page shows (and the exit button with it) before its module script
// runs, which on a slow phone can take seconds; until then the button and the skip link are plain links, and
// following one would leave this page in the history for Back to return to. This runs first, inline in <head>, and
// does what quick-exit.js does for them: replace this page with the exit site. Shift pressed three times works too.
// It stands down once quick-exit.js marks the page ready.
(function () {
  var root = document.documentElement;
  var exitLink = ".govuk-js-exit-this-page-button, .govuk-js-exit-this-page-skiplink";
  var shifts = 0;
  var firstShift = 0;
  function leave(href) {
    root.style.visibility = "hidden";
    window.location.replace(href);
  }
  document.addEventListener("click", function (event) {
    if (root.hasAttribute("data-quick-exit-ready") || event.button !== 0) {
      return;
    }
    var link = event.target instanceof Element ? event.target.closest(exitLink) : null;
    if (link) {
      event.preventDefault();
      leave(link.href);
    }
  }, true);
  document.addEventListener("keydown", function (event) {
    if (root.hasAttribute("data-quick-exit-ready") || event.repeat) {
      return;
    }
    if (event.key !== "Shift") {
      shifts = 0;
      return;
    }
    var now = Date.now();
    if (shifts === 0 || now - firstShift > 5000) {
      shifts = 0;
      firstShift = now;
    }
    shifts += 1;
    var link = document.querySelector(exitLink);
    if (shifts >= 3 && link) {
      leave(link.href);
    }
  }, true);
})();
