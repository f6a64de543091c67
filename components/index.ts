/**
 * simple-paas: Pulumi components that turn one Linux host into a small,
 * rebuildable website platform. This is the only public entry point.
 */
export { HostBootstrap, HostBootstrapArgs, HostBootstrapComponentArgs, HostBootstrapTransform, HostSettings } from "./host-bootstrap";
export { SimpleSite, SimpleSiteArgs, SimpleSiteTransform, SiteOptions } from "./simple-site";
export { SiteBackup, SiteBackupArgs, SiteBackupOptions, DEFAULT_KEEP, DEFAULT_DRILL, deriveResticPassword } from "./site-backup";
export { HostConnection, HostStepArgs } from "./host-step";
export { Transform } from "./transform";
export { ExternalDatabase, SITE_CAPABILITIES, SiteCapability, DEFAULT_SITE_LIMITS } from "./model/args";
export { SimplePaasInputError, RESERVED_SITE_NAMES } from "./model/rules";
export { HostWithSites, HostWithSitesArgs, HostWithSitesNodes } from "./host-with-sites";
export {
  HostNetwork, HostDatabase, ExternalDatabaseTls, ProxyOptions, ProxyTls, HostMemcached, DockerLogs, ImagePrune,
  BackupRetention, BackupTarCopy, RestoreDrill, SiteBackupSettings, RegistryCredentials, HealthCheck, SiteResources, SiteCronJob, SiteMemcached,
} from "./model/args";
export { HealthCheckArg, SiteBackupArg, SiteBackupOptionsInput } from "./model/deprecated";
