#!/usr/bin/env node
// Writes the tables of docs/SECURITY.md and docs/RELIABILITY.md from what the
// last test run recorded (test-results/security-cases.json and
// fault-cases.json: a case is there only when every assertion of it held).
// The table sits between "<!-- cases:begin -->" and "<!-- cases:end -->".
// Usage: node scripts/case-tables.mjs [results dir]
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const results = path.resolve(process.argv[2] ?? path.join(repo, "test-results"));

const cell = (s) => String(s).replace(/\|/g, "\\|").replace(/\n/g, " ");

function table(file, withOperator) {
  const cases = JSON.parse(fs.readFileSync(path.join(results, file), "utf8"));
  const names = Object.keys(cases);
  if (names.length === 0) throw new Error(`${file}: no case recorded`);
  const last = names.map((n) => cases[n].at).sort().at(-1).slice(0, 10);
  const head = withOperator ? "| case | tries | held | what the operator sees |\n|---|---|---|---|" : "| case | tries | held |\n|---|---|---|";
  const rows = names.map((n) => `| ${cell(n)} | ${cases[n].tries} | yes |${withOperator ? ` ${cell(cases[n].operatorSees)} |` : ""}`);
  return `Last run: ${last}, ${names.length} cases.\n\n${head}\n${rows.join("\n")}`;
}

function write(doc, text) {
  const file = path.join(repo, "docs", doc);
  const s = fs.readFileSync(file, "utf8");
  const re = /(<!-- cases:begin -->\n)[\s\S]*?(\n<!-- cases:end -->)/;
  if (!re.test(s)) throw new Error(`${doc}: no <!-- cases:begin --> ... <!-- cases:end --> markers`);
  fs.writeFileSync(file, s.replace(re, `$1${text}$2`));
  console.log(`case-tables: ${doc} written`);
}

write("SECURITY.md", table("security-cases.json", false));
write("RELIABILITY.md", table("fault-cases.json", true));
