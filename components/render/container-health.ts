/**
 * A site container's docker health check, and durations as the docker
 * provider reads them back. Pure.
 */
import { shellQuote } from "./shell";

export interface HealthCheckInput {
  port: number;
  path?: string;
  command?: string[];
  intervalSeconds?: number;
  retries?: number;
}

/**
 * Docker health check. The default asks the site itself over HTTP with curl,
 * or wget where the image has no curl.
 */
export function renderHealthCheck(input: HealthCheckInput): { tests: string[]; interval: string; timeout: string; retries: number; startPeriod: string } {
  const url = `http://127.0.0.1:${input.port}${input.path ?? "/"}`;
  const tests = input.command ?? [
    "CMD-SHELL",
    `curl -fsS -o /dev/null ${shellQuote(url)} || wget -q -O /dev/null ${shellQuote(url)} || exit 1`,
  ];
  const interval = input.intervalSeconds ?? 5;
  return { tests, interval: goDuration(interval), timeout: goDuration(5), retries: input.retries ?? 3, startPeriod: goDuration(60) };
}

/**
 * Whole seconds as Go's time.Duration prints them ("5s", "1m0s", "1h0m0s"):
 * the docker provider reads durations back in that form, so any other
 * spelling ("60s") shows as a change on every preview.
 */
export function goDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}
