import * as pulumi from "@pulumi/pulumi";
import { HostBootstrap } from "./host-bootstrap";
import type { HostBootstrapArgs, SiteBackupOptions, SiteOptions } from "./model/args";
import { backupDisabled } from "./model/deprecated";
import { assertUnique } from "./model/rules";
import { SimpleSite } from "./simple-site";
import { deriveResticPassword } from "./site-backup";

export interface HostWithSitesArgs {
  /** The host to prepare (HostBootstrap's arguments). Without `connection`, the machine that runs Pulumi. @default {} */
  host?: HostBootstrapArgs;
  /** Backup settings every site starts from; a site's own `backup` refines them (its `keep` refines this `keep`). @default {} */
  backup?: SiteBackupOptions;
  /** The sites on the host (SimpleSite's arguments, without the host). @default [] */
  sites?: SiteOptions[];
  /**
   * Derives every site's restic password (HMAC of the site's name), so
   * `pulumi destroy` + `pulumi up`, or a new host, opens the same backups
   * again. Keep a copy off the host. A site's own `backup.password` wins.
   * @default none: each site's password is generated and lives only in this stack's state
   * @secret
   */
  backupKey?: pulumi.Input<string>;
}

/** What a HostWithSites made, for TypeScript callers (not part of the package's schema). */
export interface HostWithSitesNodes {
  host: HostBootstrap;
  sites: SimpleSite[];
}
const nodesOf = new WeakMap<HostWithSites, HostWithSitesNodes>();

/**
 * A host and all its sites in one resource: a HostBootstrap and a SimpleSite
 * (with its SiteBackup) per site, the shape of the host program. This is the
 * component to use from Pulumi YAML, Python or any other language (they
 * cannot pass a HostBootstrap to a SimpleSite): `pulumi package add` this
 * repository (see README, "From Pulumi YAML (or any language)").
 *
 * @example
 * new HostWithSites("web1", { host: { stagingDomain: "staging.example.com" }, sites: [{ name: "blog", image: "ghcr.io/acme/blog:1.2.0" }] });
 */
export class HostWithSites extends pulumi.ComponentResource {
  /** Each site's https:// URLs, by site name. */
  readonly urls: pulumi.Output<Record<string, string[]>>;
  /** Each site's container name, by site name. */
  readonly containers: pulumi.Output<Record<string, string>>;
  /** Each site's data dir on the host, by site name. */
  readonly dataDirs: pulumi.Output<Record<string, string>>;
  /** The proxy's docker network. */
  readonly networkName: pulumi.Output<string>;

  constructor(name: string, args: HostWithSitesArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("simple-paas:index:HostWithSites", name, {}, opts);
    const sitesArgs = args.sites ?? [];
    // Site names are resource names too: a repeated one fails here, naming both places.
    assertUnique(sitesArgs, (s) => s.name, (i) => `sites[${i}].name`, "site name is");
    if (!args.backupKey) {
      pulumi.log.warn(
        "backupKey is not set: each site's restic password is generated and lives only in this stack's state; `pulumi destroy` forgets it.", this);
    }
    const host = new HostBootstrap(name, args.host ?? {}, { parent: this });
    const sites = sitesArgs.map((site) => new SimpleSite(`${name}-${site.name}`, {
      ...site,
      host,
      backup: siteBackup(args.backup ?? {}, site, args.backupKey),
    }, { parent: this }));
    nodesOf.set(this, { host, sites });

    const bySite = <T>(value: (s: SimpleSite) => pulumi.Input<T>) =>
      pulumi.all(Object.fromEntries(sites.map((s, i) => [sitesArgs[i].name, value(s)]))) as pulumi.Output<Record<string, T>>;
    this.urls = bySite((s) => s.urls);
    this.containers = bySite((s) => s.containerName);
    this.dataDirs = bySite((s) => s.dataDir);
    this.networkName = host.network.name;
    this.registerOutputs({ urls: this.urls, containers: this.containers, dataDirs: this.dataDirs, networkName: this.networkName });
  }

  /** The HostBootstrap and SimpleSites this made. */
  get nodes(): HostWithSitesNodes {
    const nodes = nodesOf.get(this);
    if (!nodes) throw new Error("HostWithSites.nodes: not constructed");
    return nodes;
  }
}

/** A site's backups: the shared settings refined by the site's own, with the password from backupKey. */
function siteBackup(shared: SiteBackupOptions, site: SiteOptions, backupKey: pulumi.Input<string> | undefined): SiteOptions["backup"] {
  if (backupDisabled(site.backup)) return { enabled: false };
  const own = site.backup ?? {};
  return {
    ...shared,
    ...own,
    keep: { ...shared.keep, ...own.keep },
    password: own.password ?? shared.password ?? (backupKey ? deriveResticPassword(backupKey, site.name) : undefined),
  };
}
