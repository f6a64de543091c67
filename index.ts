/**
 * The host program: one stack = one host. Reads `simple-paas:host`,
 * `simple-paas:backup` and `simple-paas:sites`, validates all of it before
 * creating anything, then builds a HostBootstrap and a SimpleSite (with its
 * SiteBackup) per site. Secrets come from their own secret config keys:
 *   simple-paas:sshPrivateKey   SSH key for `host.connection`
 *   simple-paas:backupKey       derives every site's restic password (keep it off the host!)
 *   simple-paas:secrets         { <site>: { registryPassword, hashSalt, adoptPassword, env: { NAME: value }, backupCredentials: { NAME: value } },
 *                                 backupCredentials: { NAME: value } (all sites), database: { adminPassword } (external DB) }
 */
import * as pulumi from "@pulumi/pulumi";
import { buildHostProgram, pinAlwaysPulledImages } from "./components/stack-program";

const config = new pulumi.Config("simple-paas");
const raw = {
  host: config.getObject("host"),
  backup: config.getObject("backup"),
  sites: config.getObject("sites"),
};
const secrets = {
  sshPrivateKey: config.getSecret("sshPrivateKey"),
  backupKey: config.getSecret("backupKey"),
  secrets: config.getSecretObject<Record<string, unknown>>("secrets"),
};

// Async: sites with `pull: always` first ask their registry what their tag names now.
export = pinAlwaysPulledImages(raw, secrets).then((pinned) => {
  const program = buildHostProgram(pinned, secrets);
  return {
    sites: program.sites.map((s) => ({ name: s.databaseName, urls: s.urls, container: s.containerName, dataDir: s.dataDir })),
    network: program.host.network.name,
  };
});
