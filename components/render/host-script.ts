/**
 * Puts a host script together: the header, the values only TypeScript knows
 * (each a `readonly` shell variable, quoted once, here), then bash files from
 * components/host-scripts/ — the shared prelude first, then the libraries
 * and the script's own file. The files hold no value of their own, so
 * shellcheck and editors read them as they run, and the text a host gets is
 * that of the files.
 */
import { hostScriptFile } from "./host-script-files";
import { scriptHeader, shellQuote } from "./shell";

/** A value for a script: one string or number, or a list (a bash array). */
export type ScriptValue = string | number | readonly (string | number)[];

/** Shared bash libraries, in the order they are put in front of a script's own file. */
export type ScriptLibrary = "services" | "sql" | "admin-sql" | "proxy";

export interface HostScriptSpec {
  /** What the script does, for its header comment. */
  purpose: string;
  /** Its tag in every log line (`simple-paas TAG: ...`). */
  tag: string;
  /** `SP_*` names and their values; the files read them. */
  values?: Record<string, ScriptValue | undefined>;
  /** Libraries the script's own file uses. */
  libraries?: readonly ScriptLibrary[];
  /** The script's own file under host-scripts/, e.g. `site-setup.sh`. */
  file: string;
}

/** Where daemons started without systemd write their stdout and stderr (lib/services.sh). */
export const DAEMON_LOG_DIR = "/var/log/simple-paas";

const VALUE_NAME = /^SP_[A-Z0-9_]+$/;

/** `readonly NAME='value'`, or `readonly -a NAME=('a' 'b')` for a list. */
export function renderValue(name: string, value: ScriptValue): string {
  if (!VALUE_NAME.test(name)) throw new Error(`script value name ${JSON.stringify(name)} must match ${VALUE_NAME}`);
  const line = typeof value === "string" || typeof value === "number"
    ? `readonly ${name}=${shellQuote(value)}`
    : `readonly -a ${name}=(${value.map(shellQuote).join(" ")})`;
  // A value that is text for a file (an env file, a script, a unit) is data: its quotes and '$' are not this script's.
  return /\\'|\$/.test(line) ? `# shellcheck disable=SC1003,SC2016 # data, quoted by shellQuote\n${line}` : line;
}

export function renderHostScript(spec: HostScriptSpec): string {
  const values: Record<string, ScriptValue> = { SP_TAG: spec.tag };
  if (spec.libraries?.includes("services")) values.SP_DAEMON_LOG_DIR = DAEMON_LOG_DIR;
  for (const [name, value] of Object.entries(spec.values ?? {})) {
    if (value === undefined) continue;
    if (name in values) throw new Error(`script value ${name} is set twice`);
    values[name] = value;
  }
  const parts = ["lib/prelude.sh", ...(spec.libraries ?? []).map((l) => `lib/${l}.sh`), spec.file];
  return [
    scriptHeader(spec.purpose),
    ...Object.entries(values).map(([name, value]) => renderValue(name, value)),
    "",
    ...parts.map(hostScriptFile),
  ].join("\n");
}
