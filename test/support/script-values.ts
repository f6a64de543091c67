/**
 * Reading back the values a rendered host script carries
 * (`readonly NAME='...'`, see components/render/host-script.ts).
 */

/** The value of NAME in a rendered script, unquoted (multi-line values included). */
export function scriptValue(script: string, name: string): string {
  const start = script.indexOf(`\nreadonly ${name}='`);
  if (start < 0) throw new Error(`no value ${name} in the script`);
  let i = start + `\nreadonly ${name}=`.length;
  let out = "";
  // Single-quoted pieces joined by \' (shellQuote's form), up to the end of the line.
  for (;;) {
    if (script[i] === "'") {
      const end = script.indexOf("'", i + 1);
      out += script.slice(i + 1, end);
      i = end + 1;
    } else if (script[i] === "\\" && script[i + 1] === "'") {
      out += "'";
      i += 2;
    } else {
      return out;
    }
  }
}
