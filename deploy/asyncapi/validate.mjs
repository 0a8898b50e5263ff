// Validate AsyncAPI documents with the official parser (@asyncapi/parser, its default ruleset).
//
//   node deploy/asyncapi/validate.mjs [--json] docs/asyncapi/*.json
//
// Prints every diagnostic the parser gives (error, warning, information, hint), as lines or,
// with --json, as one JSON object; exits 1 when any document has an error or a warning, 2 when
// it is called wrongly.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { DiagnosticSeverity, Parser } from "@asyncapi/parser";

const SEVERITY = {
  [DiagnosticSeverity.Error]: "error",
  [DiagnosticSeverity.Warning]: "warning",
  [DiagnosticSeverity.Information]: "information",
  [DiagnosticSeverity.Hint]: "hint",
};

const json = process.argv[2] === "--json";
const files = process.argv.slice(json ? 3 : 2);
if (files.length === 0) {
  console.error("usage: node validate.mjs [--json] <asyncapi document>...");
  process.exit(2);
}

const version = createRequire(import.meta.url)("@asyncapi/parser/package.json").version;
const parser = new Parser();
let failed = false;
const report = { parser: version, documents: {} };
for (const file of files) {
  const text = await readFile(file, "utf8");
  const diagnostics = await parser.validate(text, { source: file });
  const counts = { error: 0, warning: 0, information: 0, hint: 0 };
  report.documents[file] = [];
  for (const d of diagnostics) {
    const severity = SEVERITY[d.severity] ?? `severity ${d.severity}`;
    counts[severity] = (counts[severity] ?? 0) + 1;
    const where = d.path && d.path.length ? d.path.join("/") : "(document)";
    report.documents[file].push({ severity, code: d.code, path: where, message: d.message });
    if (!json) console.log(`${file}: ${severity} ${d.code} at ${where}: ${d.message}`);
  }
  const bad = counts.error + counts.warning;
  failed ||= bad > 0;
  if (!json) {
    console.log(`${file}: @asyncapi/parser ${version}: ${counts.error} error(s), ${counts.warning} warning(s), ` +
                `${counts.information} information, ${counts.hint} hint(s)${bad ? "" : ": valid"}`);
  }
}
if (json) console.log(JSON.stringify(report, null, 2));
process.exit(failed ? 1 : 0);
