/**
 * Moving a host from the original scripts, through the real engine: the
 * site `legacy` laid out as DESIGN.md says `sp_start` and `sp_backup` left
 * it (its Linux user and group, /sites/legacy/data/{public,private,sql,
 * restic,tmp}, a database and a user on '%', a restic repository in
 * data/restic with its own password holding snapshots made inside the
 * site's container, where the data dir is /shared, and the container with
 * a plain HASH_SALT), then taken over in place by a stack (the README's
 * "Moving from the original scripts"), and then rebuilt on a wiped host
 * from what was adopted. Rows (with their charsets), file hashes, the salt
 * and the old snapshots are checked at each step.
 */
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import { sh } from "../support/run";
import {
  Platform, createPlatform, disposePlatform, dropSiteDatabases, eventually, httpsGet, pebbleRoots, printDiagnostics, rootSql, siteConfig,
} from "./platform-fixture";

const SITE = "legacy";
const DATA = `/sites/${SITE}/data`;
const OLD_REPO = `${DATA}/restic`;
const rand = crypto.randomBytes(4).toString("hex");
const SALT = `the-original-salt-${rand}`;
const OLD_PASSWORD = `the-original-restic-password-${rand}`;
const OLD_PASSWORD_FILE = `/root/.sp-adopt-e2e-restic-pass-${rand}`;
const MOVED_REPO = `/root/sp-adopt-e2e-original-restic-${rand}`;

const treeHash = () => sh(`cd ${DATA} && find public private -type f -print0 | sort -z | xargs -0 -r sha256sum`);
const rows = () => rootSql(`SELECT id, HEX(title) FROM ${SITE}.posts ORDER BY id; SELECT id, HEX(body) FROM ${SITE}.notes ORDER BY id`);
const collations = () => rootSql(`SELECT TABLE_NAME, TABLE_COLLATION FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${SITE}' ORDER BY TABLE_NAME`);
const ourSnapshots = (): { id: string; short_id: string; tags?: string[]; paths: string[] }[] =>
  JSON.parse(sh(`RESTIC_PASSWORD_FILE=/etc/simple-paas/sites/${SITE}/backup/restic_pass restic -r /var/backups/simple-paas/${SITE} snapshots --json`));

/** `sp_backup` of the original: a dump into sql/, then restic inside the site's container (the data dir at /shared). */
function originalBackup(tags: string[]): void {
  sh(`mysqldump --single-transaction ${SITE} > ${DATA}/sql/${SITE}.sql`);
  sh(`unshare -m bash -c 'mount --bind ${DATA} /shared && RESTIC_PASSWORD_FILE=${OLD_PASSWORD_FILE} restic -r /shared/restic backup --quiet /shared ` +
    `--exclude /shared/tmp --exclude /shared/restic ${tags.map((t) => `--tag ${t}`).join(" ")}'`);
}

/** What `host_setup` and `sp_start legacy` of the original scripts left on a host, and two of its backups. */
function buildOriginalHost(): { first: { files: string; rows: string }; second: { files: string; rows: string } } {
  sh(`getent group ${SITE} >/dev/null || groupadd --system ${SITE}`);
  sh(`getent passwd ${SITE} >/dev/null || useradd --system --gid ${SITE} --no-create-home --shell /usr/sbin/nologin ${SITE}`);
  sh(`install -d -m 0755 /sites /sites/${SITE} && install -d -m 2770 -o ${SITE} -g ${SITE} ${DATA} ${DATA}/public ${DATA}/private ${DATA}/sql ${DATA}/restic ${DATA}/tmp`);
  fs.writeFileSync(`${DATA}/public/index.html`, "<h1>legacy, as the original scripts served it</h1>");
  fs.writeFileSync(`${DATA}/public/logo.bin`, crypto.randomBytes(200_000));
  fs.writeFileSync(`${DATA}/private/report.bin`, crypto.randomBytes(300_000));
  fs.writeFileSync(`${DATA}/tmp/session`, "scratch");
  sh(`chown -R ${SITE}:${SITE} ${DATA}`);
  rootSql(`CREATE DATABASE ${SITE} CHARACTER SET latin1 COLLATE latin1_swedish_ci;
    CREATE USER '${SITE}'@'%' IDENTIFIED BY 'the-original-db-password';
    GRANT ALL PRIVILEGES ON ${SITE}.* TO '${SITE}'@'%';
    CREATE TABLE ${SITE}.posts (id INT PRIMARY KEY, title VARCHAR(100)) CHARACTER SET latin1 COLLATE latin1_swedish_ci;
    CREATE TABLE ${SITE}.notes (id INT PRIMARY KEY, body TEXT) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    INSERT INTO ${SITE}.posts VALUES (1, 'caf\u00e9'), (2, 'cr\u00e8me');
    INSERT INTO ${SITE}.notes VALUES (1, 'Gr\u00fc\u00dfe \u2713');`);
  fs.writeFileSync(OLD_PASSWORD_FILE, OLD_PASSWORD, { mode: 0o600 });
  sh(`RESTIC_PASSWORD_FILE=${OLD_PASSWORD_FILE} restic -r ${OLD_REPO} init`);
  if (!fs.existsSync("/shared")) fs.mkdirSync("/shared");
  originalBackup(["manual"]);
  const first = { files: treeHash(), rows: rows() };
  fs.writeFileSync(`${DATA}/public/index.html`, "<h1>legacy, a week later</h1>");
  fs.writeFileSync(`${DATA}/public/news.txt`, "news");
  sh(`chown ${SITE}:${SITE} ${DATA}/public/index.html ${DATA}/public/news.txt`);
  rootSql(`INSERT INTO ${SITE}.posts VALUES (3, 'na\u00efve'); UPDATE ${SITE}.notes SET body = 'Gr\u00fc\u00df Gott \u2713' WHERE id = 1;`);
  originalBackup([]);
  const second = { files: treeHash(), rows: rows() };
  // sp_start's container: restart always, www-data in the site's group, the data dir, plain HASH_SALT.
  sh(`docker run -d --name ${SITE} --restart always --user www-data:$(getent group ${SITE} | cut -d: -f3) -v ${DATA}:/shared ` +
    `-e HASH_SALT=${SALT} -e SITE_NAME=${SITE} simple-paas-test/site-app:v1 >/dev/null`);
  return { first, second };
}

describe("a host of the original scripts, adopted in place and then rebuilt from the adopted backups", function () {
  this.timeout(60 * 60_000);
  let platform: Platform;
  let roots = "";
  let original: ReturnType<typeof buildOriginalHost>;

  before(async () => {
    platform = await createPlatform("adopt", { sites: [SITE], siteSecrets: { [SITE]: { hashSalt: SALT, adoptPassword: OLD_PASSWORD } } });
    original = buildOriginalHost();
    roots = pebbleRoots(platform.env);
  });

  afterEach(function () { printDiagnostics(this.currentTest, platform?.env); });
  after(async () => {
    sh(`docker rm -f ${SITE} >/dev/null 2>&1 || true`);
    try {
      await disposePlatform(platform);
    } finally {
      sh(`rm -rf ${OLD_PASSWORD_FILE} ${MOVED_REPO}; rmdir /shared 2>/dev/null || true; userdel ${SITE} 2>/dev/null || true; groupdel ${SITE} 2>/dev/null || true`);
    }
  });

  it("refuses a bad adopt setting in the preview, naming field, value and rule, before anything exists", async () => {
    await platform.setSites([siteConfig(SITE, "v1", { backup: { adopt: { repository: OLD_REPO, dumpFile: "../../etc/shadow" } } })]);
    await assert.rejects(platform.preview(), (err: Error) => {
      assert.match(err.message, /simple-paas:sites\[0\]\.backup\.adopt\.dumpFile: "\.\.\/\.\.\/etc\/shadow" must not contain \. or \.\. segments/);
      return true;
    });
    assert.equal(sh(`docker ps -aq --filter label=simple-paas.site=${SITE}`).trim(), "", "nothing was created");
  });

  it("takes the site over in place: its files, rows, charsets and salt stay, and its old snapshots become its own", async () => {
    await platform.setSites([siteConfig(SITE, "v1", {
      hashSalt: { fromSecrets: true, plain: true },
      backup: { adopt: { repository: OLD_REPO } },
    })]);
    // The switch (README): the original's containers stop, `pulumi up` starts ours on the same data.
    sh(`docker stop ${SITE} >/dev/null`);
    const stopped = Date.now();
    await platform.up();
    await eventually(() => httpsGet(`${SITE}.test`, "/", roots).then((r) => { if (r.status !== 200) throw new Error(r.body); return r; }), 120, 500);
    console.log(`      in-place switch: the site answered ${((Date.now() - stopped) / 1000).toFixed(0)} s after the original's container stopped (a first pulumi up of the host: packages, proxy, certificate)`);

    assert.equal(treeHash(), original.second.files, "the files stayed where they were");
    assert.equal(rows(), original.second.rows, "the database stayed, rows as they were");
    assert.equal(collations(), "notes\tutf8mb4_unicode_ci\nposts\tlatin1_swedish_ci\n");
    assert.equal((await httpsGet(`${SITE}.test`, "/file/news.txt", roots)).body, "news", "the new container reads the old files");
    assert.equal((await httpsGet(`${SITE}.test`, "/read?path=/etc/secrets/hash_salt", roots)).body, SALT, "the salt's file holds the old salt");
    const container = sh(`docker ps -q --filter label=simple-paas.site=${SITE}`).trim();
    assert.equal(sh(`docker exec ${container} printenv HASH_SALT`).trim(), SALT, "and plain HASH_SALT, as the original gave it");

    const adopted = ourSnapshots();
    assert.equal(adopted.length, 2, JSON.stringify(adopted));
    for (const s of adopted) {
      for (const t of [`site=${SITE}`, "kind=adopted", "layout=original"]) assert.ok(s.tags?.includes(t), `${s.short_id}: ${s.tags}`);
      assert.deepEqual(s.paths, ["/shared"]);
    }
    // An old snapshot restores (by id), and so does the newest (latest): files and rows as they were then.
    const older = adopted.find((s) => s.tags?.includes("manual"))!;
    sh(`/usr/local/bin/sp restore ${SITE} ${older.short_id} --yes`);
    assert.equal(treeHash(), original.first.files);
    assert.equal(rows(), original.first.rows);
    assert.equal(collations(), "notes\tutf8mb4_unicode_ci\nposts\tlatin1_swedish_ci\n");
    sh(`/usr/local/bin/sp restore ${SITE} --yes`);
    assert.equal(treeHash(), original.second.files);
    assert.equal(rows(), original.second.rows);
    await eventually(() => httpsGet(`${SITE}.test`, "/health", roots).then((r) => { if (r.status !== 200) throw new Error(r.body); return r; }), 60, 500);
    // The README's last steps: the original's container and its database account go, and the old repository
    // moves out of the data dir (the site's own backups would carry it), `adopt` pointing at its new place.
    sh(`docker rm -f ${SITE} >/dev/null`);
    rootSql(`DROP USER '${SITE}'@'%'`);
    sh(`mv ${OLD_REPO} ${MOVED_REPO}`);
    await platform.setSites([siteConfig(SITE, "v1", { hashSalt: { fromSecrets: true, plain: true }, backup: { adopt: { repository: MOVED_REPO } } })]);
    await platform.up();
    assert.match(await platform.stderrOf(`${SITE}-backup-adopt`), /copied=0 tagged=0 future=0 source-snapshots=2/, "nothing is copied twice");
    assert.equal(ourSnapshots().length, 2);
  });

  it("rebuilds the site on a wiped host from the adopted snapshots (the old repository gone with the old host)", async () => {
    // The wipe, as in the recovery e2e: everything of ours on the host but the repositories.
    sh(`docker rm -f $(docker ps -aq --filter label=simple-paas.site) $(docker ps -aq --filter label=simple-paas.memcached) simple-paas-proxy`);
    sh(`for n in $(docker network ls -q --filter label=simple-paas.generation); do docker network rm "$n"; done; docker volume rm simple-paas-proxy-data`);
    dropSiteDatabases([SITE]);
    rootSql("DROP USER 'simple_paas_admin'@'127.0.0.1'; DROP USER 'simple_paas_admin'@'localhost';");
    sh("rm -rf /sites /etc/simple-paas /etc/cron.d/simple-paas-* /usr/local/bin/sp /var/lib/simple-paas");
    sh(`rm -rf ${MOVED_REPO}`);
    await platform.setHost({ ...platform.host, generation: "2" });
    await platform.up();
    await eventually(() => httpsGet(`${SITE}.test`, "/", roots).then((r) => { if (r.status !== 200) throw new Error(r.body); return r; }), 120, 500);
    assert.equal(treeHash(), original.second.files, "the files of the original's newest snapshot");
    assert.equal(rows(), original.second.rows);
    assert.equal(collations(), "notes\tutf8mb4_unicode_ci\nposts\tlatin1_swedish_ci\n");
    assert.match(await platform.stderrOf(`${SITE}-backup-adopt`), /is gone, and its snapshots were adopted before: nothing to copy/);
    assert.equal((await httpsGet(`${SITE}.test`, "/read?path=/etc/secrets/hash_salt", roots)).body, SALT);
    // From here on the site's own backups: a new one is the latest, the adopted ones stay.
    sh(`/usr/local/bin/sp backup ${SITE}`);
    const after = ourSnapshots();
    assert.equal(after.filter((s) => s.tags?.includes("kind=adopted")).length, 2);
    assert.equal(after.filter((s) => s.tags?.includes("layout=2")).length, 1);
  });
});
