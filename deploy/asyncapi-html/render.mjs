// Render AsyncAPI documents as self-contained HTML pages with AsyncAPI's own generator and its
// HTML template (singleFile: the styles and scripts inside the page, nothing loaded from elsewhere).
//
//   node deploy/asyncapi-html/render.mjs <output folder> <document.json>...
//
// Writes <output folder>/<document name>.html for each document; exits 1 when one fails.
import path from "node:path";
import { createRequire } from "node:module";
import Generator from "@asyncapi/generator";

const require = createRequire(import.meta.url);
const template = path.dirname(require.resolve("@asyncapi/html-template/package.json"));
const [outDir, ...documents] = process.argv.slice(2);
if (!outDir || documents.length === 0) {
  console.error("usage: node render.mjs <output folder> <document.json>...");
  process.exit(2);
}

for (const document of documents) {
  const outFilename = `${path.basename(document, ".json")}.html`;
  const generator = new Generator(template, path.resolve(outDir), {
    forceWrite: true,
    templateParams: { singleFile: "true", outFilename },
  });
  await generator.generateFromFile(path.resolve(document));
  console.log(`rendered ${document} -> ${path.join(outDir, outFilename)}`);
}
