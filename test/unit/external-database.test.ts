import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { findRecorded, installRecordingMocks, isSecretOutput, recorded, resetRecorded, settle, valueOf } from "../support/mocks";
import { HostBootstrap, SimpleSite } from "../../components";

describe("an external MySQL/MariaDB server instead of the host's (mocks)", () => {
  before(() => installRecordingMocks());
  beforeEach(() => resetRecorded());

  it("installs no MariaDB, points the provider and the sites at the external server, and keeps its password secret", async () => {
    const host = new HostBootstrap("ext", {
      database: { external: { host: "db.internal.example.com", port: 3307, adminUser: "paas_admin", adminPassword: pulumi.secret("ext-admin-pw") } },
    });
    const site = new SimpleSite("shop", { host, name: "shop", image: "nginx:1.27", domains: ["shop.example.com"] });
    await valueOf(site.containerName);
    await settle();
    assert.equal(recorded.filter((r) => r.type === "random:index/randomPassword:RandomPassword" && r.name === "ext-mysql-admin-password").length, 0,
      "no admin password is generated: the given one is used");
    const provider = findRecorded("pulumi:providers:mysql", "ext-mysql").inputs;
    assert.equal(provider.endpoint, "db.internal.example.com:3307");
    assert.equal(provider.username, "paas_admin");
    const packages = findRecorded("command:local:Command", "ext-packages").inputs.create as string;
    assert.doesNotMatch(packages, /mariadb-server/, "the host gets no MariaDB server");
    assert.match(packages, /mariadb-client/, "but the client for dumps and restores");
    const user = findRecorded("mysql:index/user:User", "shop-db-user").inputs;
    assert.equal(user.host, "%", "the external server cannot know the sites network");
    const env: string[] = findRecorded("docker:index/container:Container", "shop-container").inputs.envs;
    assert.ok(env.includes("DATABASE_HOST=db.internal.example.com"));
    assert.ok(env.includes("DATABASE_PORT=3307"));
    const services = (host.ready[0] as unknown as { stdin: pulumi.Output<string> }).stdin;
    assert.equal(await isSecretOutput(services), true);
    assert.equal(await valueOf(services), "ext-admin-pw\n");
  });
});
