// Live feedback for the DASH form: each change posts the answers to the score API (nothing is saved) and
// updates the score panel, which is an aria-live region. Also shows the S-DASH questions when question 8 is
// yes. Without this script the form still works: "Check the score" and "Save" are answered by the server.

const form = document.querySelector("[data-dash-form]");

const LEVELS = { standard: "Standard", medium: "Medium", high: "High" };
const ROUTES = {
  "visible-high-risk": "Visible high risk (14 or more yes answers)",
  "professional-judgement": "Professional judgement",
  escalation: "Potential escalation",
  repeat: "Repeat",
};

function checked(name) {
  const input = form.querySelector(`input[type="radio"][name="${name}"]:checked`);
  return input ? input.value : null;
}

function answers() {
  const found = {};
  for (const input of form.querySelectorAll('input[type="radio"]:checked')) {
    if (/^q\d+$/.test(input.name)) found[input.name] = input.value;
  }
  return found;
}

function supplementStarted() {
  for (const input of form.querySelectorAll('input[type="radio"]:checked')) {
    if (input.name.startsWith("sdash_") && input.value !== "not-asked") return true;
  }
  return false;
}

function showSupplement() {
  const section = form.querySelector("[data-sdash]");
  if (section) section.hidden = !(checked("q8") === "yes" || supplementStarted());
}

function setText(selector, text) {
  const element = form.querySelector(selector);
  if (element) element.textContent = text;
}

let sequence = 0;

async function update() {
  showSupplement();
  const mine = ++sequence;
  const judgement = checked("professional_judgement");
  const rationale = form.querySelector("#rationale");
  const body = {
    form: form.dataset.formId,
    answers: answers(),
    professional_judgement: judgement ? judgement : null,
    rationale: rationale && rationale.value.trim() ? rationale.value : null,
  };
  const token = form.querySelector('input[name="csrf_token"]').value;
  let response;
  try {
    response = await fetch("/api/v1/risk-assessments/score", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "x-csrf-token": token },
      body: JSON.stringify(body),
    });
  } catch {
    if (mine === sequence) setText("[data-problem]", "The score could not be checked: no connection. Saving still works.");
    return;
  }
  if (mine !== sequence) return; // a later change has already asked
  const result = await response.json().catch(() => ({}));
  // Reading the body yields too: a later answer may have arrived meanwhile, and must not be overwritten.
  if (mine !== sequence) return;
  if (response.status === 422 && Array.isArray(result.errors)) {
    setText("[data-problem]", result.errors.map((e) => e.message).join(". "));
    return;
  }
  if (!response.ok) {
    setText("[data-problem]", "The score could not be checked just now. Saving still works.");
    return;
  }
  setText("[data-problem]", "");
  setText("[data-score]", String(result.score));
  setText("[data-suggested]", LEVELS[result.suggested_level] || result.suggested_level);
  setText("[data-final]", LEVELS[result.final_level] || result.final_level);
  setText("[data-routes]", result.marac_routes.length
    ? result.marac_routes.map((r) => ROUTES[r] || r).join("; ")
    : "no route met by the answers yet");
  setText("[data-not-asked]", String(result.not_asked.length));
}

if (form) {
  const check = form.querySelector("[data-check-button]");
  if (check) check.hidden = true; // the panel keeps itself up to date
  let typing;
  form.addEventListener("change", update);
  form.addEventListener("input", (event) => {
    if (event.target && event.target.id === "rationale") {
      clearTimeout(typing);
      typing = setTimeout(update, 400);
    }
  });
  showSupplement();
}
