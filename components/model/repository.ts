/**
 * Restic repository strings, parsed by backend rather than matched by a
 * pattern: what a repository is decides what may be in it. A repository is
 * a plain value (in state, scripts and logs), so no form may carry a
 * password; every URL form goes through the WHATWG URL parser, so a
 * password is found wherever the URL grammar puts it ("/" or "@" in it
 * included).
 */

export type RepositoryKind = "local" | "sftp" | "rest" | "s3" | "b2" | "azure" | "gs" | "swift" | "rclone";

export interface ParsedRepository {
  kind: RepositoryKind;
  /** The same repository as restic reads it (the input, unchanged). */
  value: string;
  /** A local path, for the kinds that have one on the host (local). */
  localPath?: string;
}

/** A refusal: what is wrong, and (when the value may hold a secret) what of it may be shown. */
export type RepositoryParse = { ok: true; repository: ParsedRepository } | { ok: false; problem: string; shown?: string };

const BAD_CHARACTERS = /[\s'"\\`$]/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const PASSWORD_RULE = "must not hold a password (user:password@): put it in credentials";

function fail(problem: string, shown?: string): RepositoryParse {
  return { ok: false, problem, shown };
}

/** A URL form (rest:, s3:http(s)://, sftp://): parsed, and refused with a password, a query or a fragment. */
function parseUrlForm(kind: RepositoryKind, value: string, url: string, protocols: string[]): RepositoryParse {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return fail(`must be a ${kind} repository URL (${protocols.map((p) => `${p}//host/path`).join(" or ")}; a password belongs in credentials)`);
  }
  if (!protocols.includes(parsed.protocol)) return fail(`must be a ${kind} repository URL (${protocols.join(" or ")})`);
  if (parsed.password !== "" || /:[^@/]*@/.test(url.slice(url.indexOf("//") + 2).split("/")[0] ?? "")) return fail(PASSWORD_RULE);
  if (parsed.hostname === "") return fail(`must name a host: ${kind} repository URL`);
  if (parsed.search !== "" || parsed.hash !== "") return fail("must not have a query or a fragment");
  return { ok: true, repository: { kind, value } };
}

/** Parses a restic repository string (restic 0.14's backends). */
export function parseRepository(value: string): RepositoryParse {
  if (value.length === 0) return fail("must not be empty");
  if (BAD_CHARACTERS.test(value) || /[\0-\x1f\x7f]/.test(value)) return fail("must be a restic repository without spaces, quotes, backslashes, '$' or control characters");
  if (value.startsWith("/") || value.startsWith("local:")) {
    const path = value.startsWith("local:") ? value.slice("local:".length) : value;
    if (!path.startsWith("/") || path === "/" || path.endsWith("/") || path.split("/").slice(1).some((s) => s === "" || s === "." || s === "..")) {
      return fail("must be an absolute path without '..', '.', '//' segments or a trailing '/'");
    }
    return { ok: true, repository: { kind: "local", value, localPath: path } };
  }
  const colon = value.indexOf(":");
  const scheme = colon < 0 ? "" : value.slice(0, colon);
  const rest = value.slice(colon + 1);
  switch (scheme) {
    case "sftp": {
      if (rest.startsWith("//")) return parseUrlForm("sftp", value, value, ["sftp:"]);
      // sftp:[user@]host:/path
      const m = /^(?:([A-Za-z0-9._-]+)@)?([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\]):(.+)$/.exec(rest);
      if (!m) return fail("must be sftp:[user@]host:/path or sftp://[user@]host[:port]//path");
      return { ok: true, repository: { kind: "sftp", value } };
    }
    case "rest":
      return parseUrlForm("rest", value, rest, ["http:", "https:"]);
    case "s3":
      if (/^https?:\/\//.test(rest)) return parseUrlForm("s3", value, rest, ["http:", "https:"]);
      // s3:host/bucket[/path]
      if (!/^[A-Za-z0-9.-]+(:[0-9]{1,5})?\/[A-Za-z0-9._-]+(\/[A-Za-z0-9._/-]*)?$/.test(rest) || rest.includes("@")) {
        return fail("must be s3:host/bucket[/path] or s3:https://host/bucket[/path]");
      }
      return { ok: true, repository: { kind: "s3", value } };
    case "b2":
    case "azure":
    case "gs":
    case "swift": {
      // KIND:bucket:path (the path may be empty or start with '/')
      const m = /^([^:]+):(.*)$/.exec(rest);
      if (!m || !NAME.test(m[1]) || m[2].includes("@") || m[2].includes(":")) return fail(`must be ${scheme}:bucket:path`);
      return { ok: true, repository: { kind: scheme, value } };
    }
    case "rclone": {
      // rclone:remote:path; an on-the-fly remote (":backend,opt=value:") can carry secrets.
      if (rest.startsWith(":") || /^[^:]*,/.test(rest)) {
        return fail("must be rclone:REMOTE:path with a remote of rclone.conf (an on-the-fly remote may carry credentials)", "rclone:(an on-the-fly remote, not shown)");
      }
      const m = /^([A-Za-z0-9_.-]+):(.*)$/.exec(rest);
      if (!m) return fail("must be rclone:REMOTE:path");
      return { ok: true, repository: { kind: "rclone", value } };
    }
    default:
      return fail("must be a restic repository: an absolute path, or local: sftp: rest: s3: b2: azure: gs: swift: rclone: followed by its location");
  }
}
