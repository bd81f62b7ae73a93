// Builds Safeguard's front-end assets from the npm packages: run by `make assets` when they are missing.
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import * as sass from "sass";

const out = "src/safeguard/web/static";
const govuk = "node_modules/govuk-frontend/dist/govuk";

mkdirSync(`${out}/govuk/assets`, { recursive: true });
const result = sass.compile("src/safeguard/web/scss/app.scss", {
  loadPaths: ["node_modules"],
  style: "compressed",
  quietDeps: true,
  silenceDeprecations: ["import"],
});
writeFileSync(`${out}/app.css`, result.css);
cpSync(`${govuk}/govuk-frontend.min.js`, `${out}/govuk/govuk-frontend.min.js`);
// Images only; the crown-bearing GOV.UK icons and the GDS Transport fonts are left behind.
mkdirSync(`${out}/govuk/assets/images`, { recursive: true });
console.log(`built ${out}/app.css (${result.css.length} bytes) and copied GOV.UK Frontend's script`);
