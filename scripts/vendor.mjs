// Copies the pinned front-end files from node_modules into the package's static folder.
// Run by `make vendor` after `npm ci`; the copies are committed, so running the app fetches nothing.
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";

const files = [
  ["node_modules/htmx.org/dist/htmx.min.js", "src/rollminder/web/static/vendor/htmx.min.js"],
  ["node_modules/htmx.org/LICENSE", "src/rollminder/web/static/vendor/htmx.LICENSE"],
];
mkdirSync("src/rollminder/web/static/vendor", { recursive: true });
for (const [from, to] of files) {
  copyFileSync(from, to);
  console.log(`${from} -> ${to}`);
}
const version = JSON.parse(readFileSync("node_modules/htmx.org/package.json", "utf8")).version;
console.log(`htmx.org ${version}`);
