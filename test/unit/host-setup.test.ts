import * as assert from "node:assert/strict";
import { checkHostSetupInput, HostSetupInput } from "../../components/model/host-setup-input";
import { dockerDaemonSettings, renderHostPackagesScript, renderInstallFileScript, renderRemoveFilesScript } from "../../components/render/packages-script";
import { renderFirewallScript, renderHostServicesRemovalScript, renderHostServicesScript } from "../../components/render/services-script";
import { assertShellcheckClean } from "../support/shellcheck";

const ODD = "/srv/it's a dir";

function hostInput(overrides: Partial<HostSetupInput> = {}): HostSetupInput {
  return {
    sitesRoot: `${ODD}/sites`,
    configDir: `${ODD}/etc`,
    backupRoot: `${ODD}/backups`,
    statusDir: `${ODD}/status`,
    logFile: `${ODD}/log/backup.log`,
    network: { name: "simple-paas", subnet: "172.30.0.0/24", gateway: "172.30.0.1" },
    proxyContainer: "simple-paas-proxy",
    database: { mode: "local", adminUser: "simple_paas_admin", port: 3306 },
    dockerLogs: { maxSize: "10m", maxFiles: 3 },
    generation: "1",
    forceNewGeneration: false,
    ...overrides,
  };
}

const external: Partial<HostSetupInput> = {
  database: { mode: "external", adminUser: "ops", host: "db.example.net", port: 3307, tls: "verify", caPem: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n" },
};

/** The single-quoted form shellQuote gives "/srv/it's a dir". */
const QUOTED_ODD = `'/srv/it'\\''s a dir`;

/** The value a rendered script gives NAME (`readonly NAME='...'`), unquoted. */
function valueOf(script: string, name: string): string {
  const m = new RegExp(`^readonly ${name}=('(?:[^']|'\\\\'')*')$`, "m").exec(script);
  if (!m) throw new Error(`no value ${name} in the script`);
  return m[1].slice(1, -1).replace(/'\\''/g, "'");
}

describe("host setup scripts (rendering)", () => {
  it("are shellcheck clean in every mode", () => {
    for (const [label, input] of [["local", hostInput()], ["external", hostInput(external)]] as const) {
      assertShellcheckClean(renderHostPackagesScript(input), `packages (${label})`);
      assertShellcheckClean(renderHostServicesScript(input), `services (${label})`);
      assertShellcheckClean(renderHostServicesRemovalScript(input), `services removal (${label})`);
      assertShellcheckClean(renderFirewallScript(input), `firewall (${label})`);
    }
    assertShellcheckClean(renderInstallFileScript({ path: `${ODD}/sp`, mode: "0755", owner: "root", group: "root" }), "install-file");
    assertShellcheckClean(renderRemoveFilesScript("remove", [`${ODD}/a`, "/etc/cron.d/x"]), "remove-files");
  });

  it("start strict and send everything but deliberate output to stderr", () => {
    for (const script of [renderHostPackagesScript(hostInput()), renderHostServicesScript(hostInput())]) {
      assert.match(script, /^#!\/usr\/bin\/env bash\n/);
      assert.match(script, /^set -euo pipefail$/m);
      assert.match(script, /^exec 3>&1 1>&2$/m);
      assert.doesNotMatch(script, /set -x/);
    }
  });

  it("installs the MariaDB server only for a local database, iptables and util-linux always", () => {
    const local = renderHostPackagesScript(hostInput());
    assert.match(local, /^readonly -a SP_PACKAGES=\('docker\.io' 'restic' 'cron' 'logrotate' 'jq' 'curl' 'ca-certificates' 'openssl' 'mariadb-client' 'iproute2' 'iptables' 'util-linux' 'mariadb-server'\)$/m);
    assert.equal(valueOf(local, "SP_LOCAL_DATABASE"), "yes");
    const ext = renderHostPackagesScript(hostInput(external));
    assert.doesNotMatch(ext, /'mariadb-server'|'memcached'/);
    assert.equal(valueOf(ext, "SP_LOCAL_DATABASE"), "no");
  });

  it("merges log rotation, address pools and live-restore into daemon.json", () => {
    const script = renderHostPackagesScript(hostInput({ dockerLogs: { maxSize: "20m", maxFiles: 5 } }));
    assert.deepEqual(JSON.parse(valueOf(script, "SP_DOCKER_SETTINGS")), {
      "log-driver": "json-file",
      "log-opts": { "max-size": "20m", "max-file": "5" },
      "default-address-pools": [{ base: "172.17.0.0/16", size: 24 }],
      "live-restore": true,
    });
    assert.deepEqual(dockerDaemonSettings(hostInput())["live-restore"], true);
    assert.match(script, /jq -S --argjson want "\$SP_DOCKER_SETTINGS" '\. \* \$want'/);
    assert.match(script, /kill -HUP "\$\(cat \/var\/run\/docker\.pid\)"/, "a daemon without live-restore gets it from a reload before any restart");
  });

  it("refuses a new generation on a host that still runs sites, unless forced, before anything changes", () => {
    const script = renderHostPackagesScript(hostInput({ generation: "2" }));
    assert.equal(valueOf(script, "SP_GENERATION"), "2");
    assert.equal(valueOf(script, "SP_FORCE_GENERATION"), "no");
    assert.equal(valueOf(renderHostPackagesScript(hostInput({ forceNewGeneration: true })), "SP_FORCE_GENERATION"), "yes");
    const guard = script.indexOf("recorded_generation=");
    assert.ok(guard > 0 && guard < script.indexOf("apt-get"), "the guard runs before apt or any directory");
  });

  it("creates the host directories with the modes of HOST-LAYOUT.md, each once", () => {
    const script = renderHostPackagesScript(hostInput());
    assert.match(script, new RegExp(`^readonly -a SP_DIRS=\\(${QUOTED_ODD.replace(/[\\()'$]/g, "\\$&")}/sites'`, "m"));
    const dirs = /^readonly -a SP_DIRS=\((.*)\)$/m.exec(script)![1];
    const modes = /^readonly -a SP_DIR_MODES=\((.*)\)$/m.exec(script)![1].split(" ");
    assert.equal(modes.length, 9);
    assert.deepEqual(modes, ["'0755'", "'0755'", "'0755'", "'0755'", "'0755'", "'0700'", "'0750'", "'0750'", "'0750'"]);
    assert.match(dirs, /backups'/);
    const noLogDup = renderHostPackagesScript(hostInput({ logFile: "/var/log/simple-paas/backup.log" }));
    assert.equal(/^readonly -a SP_DIR_MODES=\((.*)\)$/m.exec(noLogDup)![1].split(" ").length, 8, "the log dir and the daemons' log dir are one");
  });

  it("uses systemd when PID 1 is systemd and starts daemons directly otherwise", () => {
    const script = renderHostPackagesScript(hostInput());
    assert.match(script, /sp_is_systemd\(\) \{ \[ "\$\(cat \/proc\/1\/comm 2>\/dev\/null \|\| true\)" = systemd \]; \}/);
    assert.match(script, /systemctl enable --quiet --now "\$unit"/);
    assert.match(script, /--output "\$SP_DAEMON_LOG_DIR\/\$name\.log"/);
    assert.equal(valueOf(script, "SP_DAEMON_LOG_DIR"), "/var/log/simple-paas");
    // Matched by pid file and executable, never by the executable alone (containers run the same binaries).
    assert.match(script, /start-stop-daemon --stop --oknodo --retry TERM\/120 --pidfile "\$pidfile" --exec "\$exe"/);
  });

  it("local mode: binds MariaDB to loopback and the proxy network's gateway, sets up the admin account over the socket", () => {
    const script = renderHostServicesScript(hostInput());
    assert.match(valueOf(script, "SP_MARIADB_CNF"), /^bind-address = 127\.0\.0\.1,172\.30\.0\.1$/m);
    assert.match(valueOf(script, "SP_MARIADB_CNF"), /^skip-name-resolve$/m);
    assert.equal(valueOf(script, "SP_MARIADB_CNF_FILE"), "/etc/mysql/mariadb.conf.d/60-simple-paas.cnf");
    assert.equal(valueOf(script, "SP_DB_HOST"), "127.0.0.1");
    assert.equal(valueOf(script, "SP_DB_TLS"), "off");
    assert.match(valueOf(script, "SP_AFTER_DOCKER_DROPIN"), /^After=docker\.service$/m);
    assert.match(script, /GRANT ALL PRIVILEGES ON \*\.\* TO \$user@'\$host' WITH GRANT OPTION;/);
    assert.match(script, /admin_sql \| sp_root_sql/);
  });

  it("external mode: TLS verified with the given CA, only checks the admin account", () => {
    const script = renderHostServicesScript(hostInput(external));
    assert.equal(valueOf(script, "SP_DB_HOST"), "db.example.net");
    assert.equal(valueOf(script, "SP_DB_PORT"), "3307");
    assert.equal(valueOf(script, "SP_DB_TLS"), "verify");
    assert.equal(valueOf(script, "SP_DB_CA_FILE"), `${ODD}/etc/mysql-ca.pem`);
    assert.match(script, /verify\)\n\s+printf 'ssl\\nssl-verify-server-cert\\n'/);
    assert.equal(valueOf(renderHostServicesScript(hostInput({ database: { ...external.database!, tls: "off" } as HostSetupInput["database"] })), "SP_DB_TLS"), "off");
  });

  it("firewall: the sites' bridges reach the host's database port and DNS, and nothing else of it", () => {
    const local = renderFirewallScript(hostInput());
    assert.equal(valueOf(local, "SP_FW_BRIDGES"), "spb-+");
    assert.equal(valueOf(local, "SP_FW_DB_ADDRESS"), "172.30.0.1");
    assert.equal(valueOf(local, "SP_FW_DB_PORT"), "3306");
    assert.match(local, /-A %s -j DROP/);
    assert.match(local, /-A %s -d 169\.254\.0\.0\/16 -j DROP/, "no cloud metadata service");
    assert.equal(valueOf(renderFirewallScript(hostInput(external)), "SP_FW_DB_ADDRESS"), "", "an external database is not on the host");
    const services = renderHostServicesScript(hostInput());
    assert.equal(valueOf(services, "SP_FIREWALL_SCRIPT"), local, "the services step applies it and keeps it for boot");
    assert.match(valueOf(services, "SP_FIREWALL_UNIT"), /^ExecStart=\/usr\/local\/sbin\/simple-paas-firewall$/m);
  });

  it("reads the admin password from stdin only and never puts it on a command line", () => {
    const script = renderHostServicesScript(hostInput());
    assert.match(script, /^IFS= read -r admin_password \|\| true$/m);
    assert.doesNotMatch(script, /--password|\s-p\S/);
    for (const line of script.split("\n").filter((l) => l.includes("$admin_password"))) {
      assert.match(line, /^\s*(IFS= read -r|\[ -n "\$admin_password" \]|printf 'password = %s\\n' "\$\(sp_cnf_quote "\$admin_password"\)"|pw=\$\(sp_sql_quote "\$admin_password"\))/, line);
    }
  });

  it("writes mysql-admin.cnf 0600 and host.env with the keys of HOST-LAYOUT.md", () => {
    const script = renderHostServicesScript(hostInput());
    assert.ok(script.includes(`| sp_write_file "$SP_ADMIN_CNF" 0600 root root`));
    assert.equal(valueOf(script, "SP_ADMIN_CNF"), `${ODD}/etc/mysql-admin.cnf`);
    assert.equal(valueOf(script, "SP_HOST_ENV_FILE"), `${ODD}/etc/host.env`);
    assert.deepEqual(valueOf(script, "SP_HOST_ENV").trimEnd().split("\n"), [
      `SP_SITES_ROOT=${QUOTED_ODD}/sites'`,
      `SP_CONFIG_DIR=${QUOTED_ODD}/etc'`,
      "SP_NETWORK='simple-paas'",
      "SP_PROXY_CONTAINER='simple-paas-proxy'",
      `SP_STATUS_DIR=${QUOTED_ODD}/status'`,
      `SP_LOG_FILE=${QUOTED_ODD}/log/backup.log'`,
    ]);
  });

  it("stops the shared memcached of earlier releases (one per site now)", () => {
    const script = renderHostServicesScript(hostInput());
    assert.match(script, /grep -q '\^# Generated by simple-paas' \/etc\/memcached\.conf/);
    assert.doesNotMatch(script, /sp_service (start|restart) memcached/);
  });

  it("rejects input it cannot render, naming the field, the value and the rule", () => {
    const cases: Array<[Partial<HostSetupInput>, RegExp]> = [
      [{ sitesRoot: "sites" }, /sitesRoot: "sites" must be an absolute path/],
      [{ configDir: "/" }, /configDir: "\/" must be an absolute path/],
      [{ network: { name: "n", subnet: "172.30.0.0/24", gateway: "172.31.0.1" } }, /network\.gateway 172\.31\.0\.1 must be a host address inside network\.subnet/],
      [{ network: { name: "n", subnet: "172.17.5.0/24", gateway: "172.17.5.1" } }, /must not overlap docker's address pool 172\.17\.0\.0\/16/],
      [{ network: { name: "n", subnet: "300.1.0.0/24", gateway: "300.1.0.1" } }, /network\.subnet "300\.1\.0\.0\/24" must be an IPv4 CIDR/],
      [{ dockerLogs: { maxSize: "10 MB", maxFiles: 3 } }, /dockerLogs\.maxSize: "10 MB" must be a docker size like 10m/],
      [{ database: { mode: "local", adminUser: "x'; DROP", port: 3306 } }, /database\.adminUser: "x'; DROP" must be a MySQL user name/],
      [{ database: { mode: "local", adminUser: "a", port: 0 } }, /database\.port: 0 must be an integer from 1 to 65535/],
      [{ generation: "two words" }, /generation: "two words" must be 1-64 characters/],
    ];
    for (const [overrides, message] of cases) {
      assert.throws(() => renderHostPackagesScript(hostInput(overrides)), message);
      assert.throws(() => renderHostServicesScript(hostInput(overrides)), message);
    }
    assert.doesNotThrow(() => checkHostSetupInput(hostInput()));
  });

  it("install-file script: atomic write with mode and owner, says changed or unchanged", () => {
    const script = renderInstallFileScript({ path: `${ODD}/bin/sp`, mode: "755", owner: "root", group: "adm" });
    assert.equal(valueOf(script, "SP_PATH"), `${ODD}/bin/sp`);
    assert.equal(valueOf(script, "SP_MODE"), "0755");
    assert.match(script, /^sp_write_file "\$SP_PATH" "\$SP_MODE" "\$SP_OWNER" "\$SP_GROUP"$/m);
    assert.match(script, /sp_tmp=\$\(mktemp -- "\$dir\/\.sp-write\.XXXXXX"\)/);
    assert.match(script, /mv -f -- "\$sp_tmp" "\$path"/);
    assert.match(script, /then echo unchanged >&2; else echo changed >&2; fi/);
    assert.throws(() => renderInstallFileScript({ path: "rel/sp", mode: "0755", owner: "root", group: "root" }), /path: "rel\/sp"/);
    assert.throws(() => renderInstallFileScript({ path: "/x", mode: "u+x", owner: "root", group: "root" }), /mode: "u\+x"/);
  });
});
