/**
 * What the package schema's inference leaves out, put back: it keeps a
 * property's JSDoc text but drops its tags, so `@default` and `@secret` are
 * read from the TypeScript sources here (the same doc comments the README
 * points at) and added to the schema: `secret: true`, `default` where the
 * default is a plain value of the property's type, and "Default: ..." at the
 * end of the description otherwise.
 */
import * as fs from "node:fs";
import * as ts from "typescript";

/** Per interface, per property: the `@default` text and whether it is `@secret`. */
export type DocTags = Record<string, Record<string, { default?: string; secret?: boolean }>>;

/** Reads the tags of every interface's properties in FILES. */
export function readDocTags(files: string[]): DocTags {
  const tags: DocTags = {};
  const parents: Record<string, string[]> = {};
  for (const file of files) {
    // Parsed alone, with parent pointers (the JSDoc look-ups need them).
    const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
    source.forEachChild((node) => {
      if (!ts.isInterfaceDeclaration(node)) return;
      const own: DocTags[string] = {};
      for (const member of node.members) {
        if (!ts.isPropertySignature(member) || !ts.isIdentifier(member.name)) continue;
        const entry: { default?: string; secret?: boolean } = {};
        for (const tag of ts.getJSDocTags(member)) {
          const text = typeof tag.comment === "string" ? tag.comment : ts.getTextOfJSDocComment(tag.comment) ?? "";
          if (tag.tagName.text === "default") entry.default = text.trim();
          if (tag.tagName.text === "secret") entry.secret = true;
        }
        if (entry.default !== undefined || entry.secret) own[member.name.text] = entry;
      }
      tags[node.name.text] = own;
      parents[node.name.text] = (node.heritageClauses ?? []).flatMap((h) => h.types.map((t) => t.expression.getText(source)));
    });
  }
  // An interface has its parents' tags too (SiteBackupSettings extends SiteBackupOptions).
  const withParents = (name: string): DocTags[string] =>
    Object.assign({}, ...(parents[name] ?? []).map(withParents), tags[name] ?? {});
  return Object.fromEntries(Object.keys(tags).map((name) => [name, withParents(name)]));
}

interface PropertySpec { type?: string; description?: string; default?: unknown; secret?: boolean; $ref?: string }
interface ObjectSpec { properties?: Record<string, PropertySpec>; inputProperties?: Record<string, PropertySpec> }

function plainDefault(text: string, type: string | undefined): { value: unknown } | undefined {
  let value: unknown;
  try { value = JSON.parse(text); } catch { return undefined; }
  const ok = (type === "string" && typeof value === "string") || (type === "boolean" && typeof value === "boolean") ||
    ((type === "number" || type === "integer") && typeof value === "number");
  return ok ? { value } : undefined;
}

function detail(props: Record<string, PropertySpec> | undefined, tags: DocTags[string] | undefined): void {
  if (!props || !tags) return;
  for (const [name, tag] of Object.entries(tags)) {
    const prop = props[name];
    if (!prop) continue;
    if (tag.secret) prop.secret = true;
    if (tag.default === undefined) continue;
    const plain = plainDefault(tag.default, prop.type);
    if (plain) prop.default = plain.value;
    else prop.description = `${prop.description ?? ""}${prop.description ? "\n\n" : ""}Default: ${tag.default}`;
  }
}

/**
 * The schema with the tags added. Types are named after their interfaces
 * (`<pkg>:index:<Interface>`); a component's inputs come from ARGS_OF[component].
 */
export function addDocTags(schemaJson: string, tags: DocTags, argsOf: Record<string, string>): string {
  const schema = JSON.parse(schemaJson) as { name: string; types?: Record<string, ObjectSpec>; resources?: Record<string, ObjectSpec> };
  for (const [token, type] of Object.entries(schema.types ?? {})) detail(type.properties, tags[token.split(":")[2]]);
  for (const [token, resource] of Object.entries(schema.resources ?? {})) {
    const argsName = argsOf[token.split(":")[2]];
    if (argsName) detail(resource.inputProperties, tags[argsName]);
  }
  return JSON.stringify(schema);
}
