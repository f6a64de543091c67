import * as assert from "node:assert/strict";
import {
  checkHostSetupInput,
  HostSetupInput,
  renderHostPackagesScript,
  renderHostServicesRemovalScript,
  renderHostServicesScript,
  renderInstallFileScript,
} from "../../components/render/packages-script";
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
    memcached: { enabled: true, memoryMb: 48 },
    dockerLogs: { maxSize: "10m", maxFiles: 3 },
    generation: "1",
    ...overrides,
  };
}

const external: Partial<HostSetupInput> = {
  database: { mode: "external", adminUser: "ops", host: "db.example.net", port: 3307 },
  memcached: { enabled: false, memoryMb: 64 },
};

/** The single-quoted form shellQuote gives "/srv/it's a dir". */
const QUOTED_ODD = `'/srv/it'\\''s a dir`;

describe("host setup scripts (rendering)", () => {
  it("are shellcheck clean in every mode", () => {
    for (const [label, input] of [["local", hostInput()], ["external", hostInput(external)]] as const) {
      assertShellcheckClean(renderHostPackagesScript(input), `packages (${label})`);
      assertShellcheckClean(renderHostServicesScript(input), `services (${label})`);
      assertShellcheckClean(renderHostServicesRemovalScript(input), `services removal (${label})`);
    }
    assert.match(renderHostServicesRemovalScript(hostInput()), /DROP USER IF EXISTS \$user@'localhost';/);
    assert.doesNotMatch(renderHostServicesRemovalScript(hostInput(external)), /DROP USER/, "an external server's admin account is the operator's");
    assertShellcheckClean(renderInstallFileScript({ path: `${ODD}/sp`, mode: "0755", owner: "root", group: "root" }), "install-file");
  });

  it("start strict and send everything but deliberate output to stderr", () => {
    for (const script of [renderHostPackagesScript(hostInput()), renderHostServicesScript(hostInput())]) {
      assert.match(script, /^#!\/usr\/bin\/env bash\n/);
      assert.match(script, /^set -euo pipefail$/m);
      assert.match(script, /^exec 3>&1 1>&2$/m);
      assert.doesNotMatch(script, /set -x/);
    }
  });

  it("installs MariaDB server and memcached only when asked", () => {
    const local = renderHostPackagesScript(hostInput());
    assert.match(local, /^packages=\('docker\.io' 'restic' 'cron' 'jq' 'curl' 'ca-certificates' 'openssl' 'mariadb-client' 'iproute2' 'mariadb-server' 'memcached'\)$/m);
    assert.match(local, /^sp_service start mariadb$/m);
    assert.match(local, /sp_wait mariadb 120 mysqladmin --protocol=socket ping/);
    const ext = renderHostPackagesScript(hostInput(external));
    assert.match(ext, /^packages=\('docker\.io' 'restic' 'cron' 'jq' 'curl' 'ca-certificates' 'openssl' 'mariadb-client' 'iproute2'\)$/m);
    assert.doesNotMatch(ext, /'mariadb-server'|'memcached'|^sp_service start mariadb$/m);
  });

  it("skips apt when dpkg-query says everything is installed, and waits for the dpkg lock", () => {
    const script = renderHostPackagesScript(hostInput());
    assert.match(script, /dpkg-query -W -f='\$\{db:Status-Status\}' "\$pkg"/);
    assert.match(script, /if \[ "\$\{#missing\[@\]\}" -eq 0 \]; then/);
    assert.match(script, /export DEBIAN_FRONTEND=noninteractive/);
    assert.match(script, /apt-get -q -y -o DPkg::Lock::Timeout=600 install "\$\{missing\[@\]\}"; \} <\/dev\/null >>"\$apt_log" 2>&1 3>&-; then/);
  });

  it("merges log rotation and address pools into daemon.json and restarts docker only on a change", () => {
    const script = renderHostPackagesScript(hostInput({ dockerLogs: { maxSize: "20m", maxFiles: 5 } }));
    const settings = /^readonly SP_DOCKER_SETTINGS='(.*)'$/m.exec(script);
    assert.ok(settings, "settings line");
    assert.deepEqual(JSON.parse(settings[1]), {
      "log-driver": "json-file",
      "log-opts": { "max-size": "20m", "max-file": "5" },
      "default-address-pools": [{ base: "172.17.0.0/16", size: 24 }],
    });
    assert.match(script, /jq -S --argjson want "\$SP_DOCKER_SETTINGS" '\. \* \$want'/);
    assert.match(script, /if \[ "\$docker_settings_changed" = 1 \] && docker_up; then\n  sp_service restart docker/);
  });

  it("creates the host directories with the modes of HOST-LAYOUT.md, quoting odd paths", () => {
    const script = renderHostPackagesScript(hostInput());
    for (const [dir, mode] of [
      ["sites", "0755"], ["etc", "0755"], ["etc/sites", "0755"], ["etc/proxy/sites", "0755"],
      ["backups", "0700"], ["status", "0750"], ["log", "0750"],
    ]) {
      assert.ok(script.includes(`sp_ensure_dir ${QUOTED_ODD}/${dir}' ${mode} root root\n`), `${dir} ${mode}`);
    }
    assert.doesNotMatch(script, /docker network create/);
  });

  it("uses systemd when PID 1 is systemd and starts daemons directly otherwise", () => {
    const script = renderHostPackagesScript(hostInput());
    assert.match(script, /sp_is_systemd\(\) \{ \[ "\$\(cat \/proc\/1\/comm 2>\/dev\/null \|\| true\)" = systemd \]; \}/);
    assert.match(script, /systemctl enable --quiet --now "\$unit"/);
    assert.match(script, /start-stop-daemon --start --oknodo --background "\$\{makepid\[@\]\}" --pidfile "\$pidfile" \\\n\s+--output '\/var\/log\/simple-paas'"\/\$name\.log"/);
    // Matched by pid file and executable, never by the executable alone (containers run the same binaries).
    assert.match(script, /start-stop-daemon --stop --oknodo --retry TERM\/120 --pidfile "\$pidfile" --exec "\$exe"/);
    assert.match(script, /mariadb\) unit=mariadb\.service; exe=\/usr\/sbin\/mariadbd; pidfile=\/run\/mysqld\/mysqld\.pid; args=\(--user=mysql --pid-file=\/run\/mysqld\/mysqld\.pid\)/);
  });

  it("local mode: binds MariaDB to loopback and the gateway, sets up the admin account over the socket", () => {
    const script = renderHostServicesScript(hostInput());
    assert.match(script, /^bind-address = 127\.0\.0\.1,172\.30\.0\.1$/m);
    assert.match(script, /^skip-name-resolve$/m);
    assert.match(script, /sp_write_file '\/etc\/mysql\/mariadb\.conf\.d\/60-simple-paas\.cnf' '0644'/);
    assert.match(script, /^readonly SP_DB_HOST='127\.0\.0\.1'$/m);
    assert.match(script, /^After=docker\.service$/m);
    assert.match(script, /CREATE USER IF NOT EXISTS \$user@'\$host' IDENTIFIED BY \$pw;/);
    assert.match(script, /GRANT ALL PRIVILEGES ON \*\.\* TO \$user@'\$host' WITH GRANT OPTION;/);
    assert.match(script, /for host in 127\.0\.0\.1 localhost; do/);
    assert.match(script, /admin_sql \| sp_root_sql/);
    assert.doesNotMatch(script, /SELECT 1/);
  });

  it("external mode: only checks the admin account, never touches a MariaDB server", () => {
    const script = renderHostServicesScript(hostInput(external));
    assert.match(script, /^readonly SP_DB_HOST='db\.example\.net'$/m);
    assert.match(script, /^readonly SP_DB_PORT='3307'$/m);
    assert.match(script, /mysql --defaults-extra-file="\$SP_ADMIN_CNF" --connect-timeout=10 -N -B -e 'SELECT 1'/);
    assert.doesNotMatch(script, /60-simple-paas|CREATE USER|GRANT ALL|sp_service (start|restart) |bind-address =/);
    assert.doesNotMatch(script, /memcached\.conf/);
  });

  it("reads the admin password from stdin only and never puts it on a command line", () => {
    const script = renderHostServicesScript(hostInput());
    assert.match(script, /^IFS= read -r admin_password \|\| true$/m);
    assert.doesNotMatch(script, /--password|\s-p\S/);
    // every use of the password is a builtin (printf) or a shell function argument
    for (const line of script.split("\n").filter((l) => l.includes("$admin_password"))) {
      assert.match(line, /^\s*(IFS= read -r|\[ -n "\$admin_password" \]|printf 'password = %s\\n' "\$\(sp_cnf_quote "\$admin_password"\)"|pw=\$\(sp_sql_quote "\$admin_password"\))/, line);
    }
  });

  it("writes mysql-admin.cnf 0600 and host.env with the keys of HOST-LAYOUT.md", () => {
    const script = renderHostServicesScript(hostInput());
    assert.ok(script.includes(`| sp_write_file "$SP_ADMIN_CNF" 0600 root root`));
    assert.ok(script.includes(`readonly SP_ADMIN_CNF=${QUOTED_ODD}/etc/mysql-admin.cnf'`));
    const hostEnv = /sp_write_file ('[^\n]*host\.env') '0644' 'root' 'root' <<'SP_EOF'\n([\s\S]*?)\nSP_EOF/.exec(script);
    assert.ok(hostEnv, "host.env here-document");
    assert.equal(hostEnv[1], `${QUOTED_ODD}/etc/host.env'`);
    assert.deepEqual(hostEnv[2].split("\n"), [
      `SP_SITES_ROOT=${QUOTED_ODD}/sites'`,
      `SP_CONFIG_DIR=${QUOTED_ODD}/etc'`,
      "SP_NETWORK='simple-paas'",
      "SP_PROXY_CONTAINER='simple-paas-proxy'",
      `SP_STATUS_DIR=${QUOTED_ODD}/status'`,
      `SP_LOG_FILE=${QUOTED_ODD}/log/backup.log'`,
    ]);
  });

  it("configures memcached on the gateway with the memory size, only when enabled", () => {
    const script = renderHostServicesScript(hostInput());
    assert.match(script, /^-l 172\.30\.0\.1$/m);
    assert.match(script, /^-m 48$/m);
    assert.match(script, /sp_service restart memcached '-u' 'memcache' '-l' '172\.30\.0\.1' '-p' '11211' '-m' '48'/);
    assert.match(script, /^readonly SP_MEMCACHED_BYTES='50331648'$/m);
    assert.doesNotMatch(renderHostServicesScript(hostInput({ memcached: { enabled: false, memoryMb: 48 } })), /memcached\.conf/);
  });

  it("rejects input it cannot render, naming the field and the rule", () => {
    const cases: Array<[Partial<HostSetupInput>, RegExp]> = [
      [{ sitesRoot: "sites" }, /^Error: sitesRoot "sites" must be an absolute path/],
      [{ configDir: "/" }, /configDir "\/" must be an absolute path other than "\/"/],
      [{ network: { name: "n", subnet: "172.30.0.0/24", gateway: "172.31.0.1" } }, /network\.gateway 172\.31\.0\.1 must be a host address inside network\.subnet/],
      [{ network: { name: "n", subnet: "172.17.5.0/24", gateway: "172.17.5.1" } }, /must not overlap docker's address pool 172\.17\.0\.0\/16/],
      [{ network: { name: "n", subnet: "300.1.0.0/24", gateway: "300.1.0.1" } }, /network\.subnet "300\.1\.0\.0\/24" must be an IPv4 CIDR/],
      [{ dockerLogs: { maxSize: "10 MB", maxFiles: 3 } }, /dockerLogs\.maxSize "10 MB" must be a size like 10m/],
      [{ database: { mode: "local", adminUser: "x'; DROP", port: 3306 } }, /database\.adminUser/],
      [{ database: { mode: "local", adminUser: "a", port: 0 } }, /database\.port 0 must be an integer from 1 to 65535/],
      [{ memcached: { enabled: true, memoryMb: 1.5 } }, /memcached\.memoryMb 1\.5/],
    ];
    for (const [overrides, message] of cases) {
      assert.throws(() => renderHostPackagesScript(hostInput(overrides)), message);
      assert.throws(() => renderHostServicesScript(hostInput(overrides)), message);
    }
    assert.doesNotThrow(() => checkHostSetupInput(hostInput()));
  });

  it("install-file script: atomic write with mode and owner, says changed or unchanged", () => {
    const script = renderInstallFileScript({ path: `${ODD}/bin/sp`, mode: "755", owner: "root", group: "adm" });
    assert.ok(script.includes(`readonly SP_PATH=${QUOTED_ODD}/bin/sp'`));
    assert.match(script, /^sp_write_file "\$SP_PATH" 0755 'root' 'adm'$/m);
    assert.match(script, /sp_tmp=\$\(mktemp -- "\$dir\/\.sp-write\.XXXXXX"\)/);
    assert.match(script, /mv -f -- "\$sp_tmp" "\$path"/);
    assert.match(script, /then echo unchanged >&2; else echo changed >&2; fi/);
    assert.throws(() => renderInstallFileScript({ path: "rel/sp", mode: "0755", owner: "root", group: "root" }), /path "rel\/sp"/);
    assert.throws(() => renderInstallFileScript({ path: "/x", mode: "u+x", owner: "root", group: "root" }), /mode "u\+x"/);
  });
});
