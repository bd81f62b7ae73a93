// Starts GOV.UK Frontend's components. Kept in a file, not inline, so the CSP needs no 'unsafe-inline'.
import { initAll } from "/static/govuk/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
