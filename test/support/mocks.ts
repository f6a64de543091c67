/**
 * Pulumi mocks that record every resource the components register, with
 * its inputs, parent and dependsOn, so tests can assert the resource graph.
 */
import * as pulumi from "@pulumi/pulumi";

export interface RecordedResource {
  type: string;
  name: string;
  inputs: Record<string, any>;
  resource?: pulumi.Resource;
  parent?: string;
  dependsOn: string[];
  protect?: boolean;
  ignoreChanges?: string[];
}

export const recorded: RecordedResource[] = [];
const namesByResource = new Map<pulumi.Resource, string>();

export function resetRecorded(): void {
  recorded.length = 0;
  namesByResource.clear();
}

/**
 * Installs the recording mocks. Called from each suite's `before`, not at
 * import: mocha loads every test file into one process, and the e2e suites
 * install mocks of their own.
 */
export function installRecordingMocks(): void {
pulumi.runtime.setMocks(
  {
    newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, any> } {
      const state: Record<string, any> = { ...args.inputs };
      if (args.type === "random:index/randomPassword:RandomPassword") state.result = `mock-secret-${args.name}`;
      if (args.type.startsWith("command:") && args.name.endsWith("-setup")) state.stdout = '{"uid":1001,"gid":1002}\n';
      if (args.type.startsWith("command:") && args.name.endsWith("-ssh-key")) state.stdout = "/root/.simple-paas/ssh/key\n";
      if (args.type === "docker:index/remoteImage:RemoteImage") state.imageId = `sha256:${"a".repeat(60)}${args.name.length}`;
      const existing = recorded.find((r) => r.name === args.name && r.type === args.type);
      if (existing) existing.inputs = args.inputs;
      else recorded.push({ type: args.type, name: args.name, inputs: args.inputs, dependsOn: [] });
      return { id: `${args.name}-id`, state };
    },
    call(args: pulumi.runtime.MockCallArgs) {
      // The registry's answer for a tag: a digest made from the name, so a test knows it.
      if (args.token === "docker:index/getRegistryImage:getRegistryImage") {
        return { ...args.inputs, sha256Digest: mockRegistryDigest(String(args.inputs.name)) };
      }
      return args.inputs;
    },
  },
  "simple-paas",
  "unit",
  false,
);
}

/** What the mocked registry says a tag names now. */
export function mockRegistryDigest(image: string): string {
  return `sha256:${require("node:crypto").createHash("sha256").update(image).digest("hex")}`;
}

/** A transformation that records parent and dependsOn of every child of the component it is given to. */
export const recordGraph: pulumi.ResourceTransformation = (args) => {
  namesByResource.set(args.resource, args.name);
  const deps = args.opts.dependsOn;
  const depList = (Array.isArray(deps) ? deps : deps ? [deps] : []) as pulumi.Resource[];
  const entry: RecordedResource = {
    type: args.type,
    name: args.name,
    inputs: {},
    resource: args.resource,
    parent: args.opts.parent ? namesByResource.get(args.opts.parent) : undefined,
    dependsOn: depList.map((d) => namesByResource.get(d) ?? "?"),
    protect: args.opts.protect,
    ignoreChanges: args.opts.ignoreChanges,
  };
  graph.push(entry);
  return undefined;
};

/** Parents and dependencies as seen by the transformation (names of resources). */
export const graph: RecordedResource[] = [];

export function resetGraph(): void {
  graph.length = 0;
}


export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((v) => { resolve(v); return v; }));
}

export function isSecretOutput(output: pulumi.Output<unknown>): Promise<boolean> {
  return pulumi.isSecret(output);
}

/** Waits until every registration has reached the mocks. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 20));
}

/**
 * A site's container resource is named `<site>-container-<hash of its spec>`
 * (see siteContainerResourceName): `containerName("blog")` gives the
 * pattern findRecorded and the graph look-ups accept for it.
 */
export function containerName(site: string): RegExp {
  return new RegExp(`^${site}-container-[0-9a-f]{10}$`);
}

export function findRecorded(type: string, name: string | RegExp): RecordedResource {
  const r = recorded.find((x) => x.type === type && (typeof name === "string" ? x.name === name : name.test(x.name)));
  if (!r) throw new Error(`no ${type} named ${name}; have: ${recorded.map((x) => `${x.type}/${x.name}`).join(", ")}`);
  return r;
}
