/**
 * simple-paas: Pulumi components that turn one Linux host into a small,
 * rebuildable website platform. This is the only public entry point.
 */
export { HostBootstrap, HostBootstrapArgs, HostSettings } from "./host-bootstrap";
export { SimpleSite, SimpleSiteArgs } from "./simple-site";
export { SiteBackup, SiteBackupArgs, SiteBackupOptions, DEFAULT_KEEP, deriveResticPassword } from "./site-backup";
export { HostConnection } from "./host-command";
export { SimplePaasInputError, RESERVED_SITE_NAMES } from "./validation";
