import * as assert from "node:assert/strict";
import { hasDigest, pinToDigest, registryLookupAddress } from "../../components/model/image-pin";
import { imageRef } from "../../components/model/rules";

const D = `sha256:${"ab".repeat(32)}`;

describe("pull: always (pure parts)", () => {
  it("pins a tag to the digest, keeping the registry's port and dropping the tag", () => {
    assert.equal(pinToDigest("127.0.0.1:5000/site-app:rolling", D), `127.0.0.1:5000/site-app@${D}`);
    assert.equal(pinToDigest("127.0.0.1:5000/site-app", D), `127.0.0.1:5000/site-app@${D}`);
    assert.equal(pinToDigest("ghcr.io/acme/blog:main", D), `ghcr.io/acme/blog@${D}`);
    assert.equal(pinToDigest("nginx", D), `nginx@${D}`);
    assert.equal(pinToDigest(`nginx:1.27@sha256:${"cd".repeat(32)}`, D), `nginx@${D}`);
    for (const image of ["127.0.0.1:5000/site-app:rolling", "nginx"]) assert.equal(imageRef.safeParse(pinToDigest(image, D)).success, true);
    assert.throws(() => pinToDigest("nginx:1", "sha256:short"), /not a sha256 digest/);
  });

  it("knows a pinned reference, and asks loopback registries over HTTP as docker does", () => {
    assert.equal(hasDigest(`nginx@${D}`), true);
    assert.equal(hasDigest("nginx:latest"), false);
    assert.equal(registryLookupAddress("127.0.0.1:5000"), "http://127.0.0.1:5000");
    assert.equal(registryLookupAddress("localhost:5000"), "http://localhost:5000");
    assert.equal(registryLookupAddress("registry.example.com"), "registry.example.com");
    assert.equal(registryLookupAddress("127.example.com:5000"), "127.example.com:5000");
  });
});
