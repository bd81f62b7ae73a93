// The public pages' script: quick exit that leaves no way Back, and a site that keeps one entry in the
// browser's history. Loaded as a module (the CSP allows no inline script); the pages work without it.
//
// GOV.UK Frontend's "Exit this page" sends the browser on with `location.href = ...`, which keeps the page in
// the history, so Back returns to it. Here the component is the same (button, skip link, Shift pressed three
// times, the overlay) but the exit *replaces* the current history entry. Links and the danger question move
// between the public pages the same way, and the report form is sent in the background, so that after a quick
// exit Back leads to whatever was open before this website.
import { ExitThisPage, createAll, initAll } from "/static/govuk/govuk-frontend.min.js";

export class ReplacingExitThisPage extends ExitThisPage {
  exitPage() {
    if (this.$updateSpan) {
      this.$updateSpan.textContent = "";
    }
    document.body.classList.add("govuk-exit-this-page-hide-content");
    const overlay = document.createElement("div");
    overlay.className = "govuk-exit-this-page-overlay";
    overlay.setAttribute("role", "alert");
    overlay.textContent = this.i18n ? this.i18n.t("activated") : "Loading.";
    document.body.appendChild(overlay);
    this.$overlay = overlay;
    window.location.replace(this.$button.href);
  }
}

function startComponents(scope) {
  initAll({
    scope,
    onError(error, context) {
      // The exit button is already ours (ReplacingExitThisPage): GOV.UK's own would refuse to start twice.
      if (context && context.component === ExitThisPage) {
        return;
      }
      console.log(error);
    },
  });
}

function sameSite(url) {
  return url.origin === window.location.origin;
}

// Links between the public pages replace the current entry instead of adding one.
document.addEventListener("click", (event) => {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey ||
      event.altKey) {
    return;
  }
  const link = event.target instanceof Element ? event.target.closest("a[data-replace-history]") : null;
  if (!link) {
    return;
  }
  const url = new URL(link.href);
  if (sameSite(url)) {
    event.preventDefault();
    window.location.replace(url.href);
  }
});

let sending = false;

// A page returned instead of /report/sent (the form's errors, or "not sent"): its main content replaces ours.
function showReturnedPage(html) {
  const returned = new DOMParser().parseFromString(html, "text/html");
  const main = document.getElementById("main-content");
  const newMain = returned.getElementById("main-content");
  if (!main || !newMain) {
    return false;
  }
  newMain.querySelectorAll("script").forEach((script) => script.remove());
  main.replaceChildren(...Array.from(newMain.childNodes, (node) => document.importNode(node, true)));
  document.title = returned.title;
  window.scrollTo(0, 0);
  startComponents(main);
  if (!main.querySelector(".govuk-error-summary")) {
    const heading = main.querySelector("h1");
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus();
    }
  }
  return true;
}

async function sendReport(form) {
  let response;
  try {
    response = await fetch(form.action, {
      method: "POST",
      body: new URLSearchParams(new FormData(form)),
      credentials: "same-origin",
      headers: { Accept: "text/html" },
    });
  } catch {
    form.submit(); // the network failed: let the browser send it and show what happens
    return;
  }
  if (response.redirected && sameSite(new URL(response.url)) && new URL(response.url).pathname === "/report/sent") {
    window.location.replace(response.url);
    return;
  }
  if (!showReturnedPage(await response.text())) {
    form.submit();
  }
}

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) {
    return;
  }
  if (form.hasAttribute("data-replace-history") && form.method.toLowerCase() === "get") {
    event.preventDefault();
    const url = new URL(form.action);
    url.search = new URLSearchParams(new FormData(form)).toString();
    window.location.replace(url.href);
  } else if (form.hasAttribute("data-report-form") && window.fetch && window.DOMParser) {
    event.preventDefault();
    if (sending) {
      return;
    }
    sending = true;
    sendReport(form).finally(() => {
      sending = false;
    });
  }
});

document.body.classList.add("js-enabled", "govuk-frontend-supported");
createAll(ReplacingExitThisPage);
startComponents(document);
// The inline early exit (web/exit_early.js) stands down: the component has the button and the keys now.
document.documentElement.setAttribute("data-quick-exit-ready", "");
