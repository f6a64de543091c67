import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { parseStackConfig } from "../../components/model/stack-config";

const stacksDir = path.join(__dirname, "..", "..", "stacks");

describe("stacks/ examples", () => {
  for (const file of fs.readdirSync(stacksDir).filter((f) => f.endsWith(".yaml"))) {
    it(`${file} is a valid simple-paas configuration`, () => {
      const config = parse(fs.readFileSync(path.join(stacksDir, file), "utf8")).config as Record<string, unknown>;
      const parsed = parseStackConfig({
        host: config["simple-paas:host"], backup: config["simple-paas:backup"], sites: config["simple-paas:sites"],
      });
      assert.ok(parsed.sites.length >= 1, "has at least one site");
    });
  }

  it("the example stack has a remote host and two sites", () => {
    const config = parse(fs.readFileSync(path.join(stacksDir, "Pulumi.example.yaml"), "utf8")).config;
    assert.equal(config["simple-paas:host"].connection.host, "web1.example.com");
    assert.equal(config["simple-paas:sites"].length, 2);
  });
});
