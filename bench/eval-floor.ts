/**
 * The floor of a program evaluation: the Pulumi SDK alone registering as
 * many resources as the host program does for N sites (12 for the host, 16
 * a site, each a component child depending on the one before), under the
 * same mocks, in a process of its own. Prints {"ms": ..., "maxRssMiB": ...}.
 *   npx ts-node --transpile-only bench/eval-floor.ts N
 */
import * as pulumi from "@pulumi/pulumi";

class Bare extends pulumi.CustomResource {
  constructor(name: string, args: Record<string, pulumi.Input<string>>, opts: pulumi.CustomResourceOptions) {
    super("bench:index:Bare", name, args, opts);
  }
}

class Chain extends pulumi.ComponentResource {
  readonly last: Bare;
  constructor(name: string, length: number) {
    super("bench:index:Chain", name, {}, {});
    let prev: Bare | undefined;
    for (let i = 0; i < length; i++) {
      prev = new Bare(`${name}-${i}`, { input: prev ? prev.id : "first", script: "a host script ".repeat(300) }, { parent: this, dependsOn: prev ? [prev] : [] });
    }
    this.last = prev!;
    this.registerOutputs({});
  }
}

async function main(): Promise<void> {
  const n = Number(process.argv[2]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`usage: eval-floor.ts N (sites), not ${process.argv[2]}`);
  pulumi.runtime.setMocks({ newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }), call: (a) => a.inputs }, "simple-paas", "bench", false);
  const start = process.hrtime.bigint();
  const chains = [new Chain("host", 12), ...Array.from({ length: n }, (_, i) => new Chain(`site${i + 1}`, 16))];
  await Promise.all(chains.map((c) => new Promise((resolve) => c.last.id.apply((v) => { resolve(v); return v; }))));
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 20));
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  process.stdout.write(`${JSON.stringify({ ms, maxRssMiB: process.resourceUsage().maxRSS / 1024 })}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
