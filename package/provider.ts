/**
 * The component package's provider: what `pulumi package add <this
 * repository>` runs (PulumiPlugin.yaml, package.json `main`). It serves
 * HostWithSites, the one component that other languages can use (the others
 * take a HostBootstrap object, which no other language can pass), with the
 * schema inferred from the TypeScript types plus the `@default`s and
 * `@secret`s of their doc comments (schema-details.ts).
 */
import * as path from "node:path";
import { main } from "@pulumi/pulumi/provider";
import { ComponentProvider } from "@pulumi/pulumi/provider/experimental";
import { HostWithSites } from "../components";
import { addDocTags, readDocTags } from "./schema-details";

const ROOT = path.resolve(__dirname, "..");
/** The files whose interfaces make up the package's types. */
export const ARG_SOURCES = ["components/model/args.ts", "components/host-with-sites.ts"].map((f) => path.join(ROOT, f));

class SimplePaasProvider extends ComponentProvider {
  private detailed?: string;
  override async getSchema(): Promise<string> {
    this.detailed ??= addDocTags(await super.getSchema(), readDocTags(ARG_SOURCES), { HostWithSites: "HostWithSitesArgs" });
    return this.detailed;
  }
}

// Nothing is exported: the plugin runner would otherwise serve the exports itself, without the details.
main(new SimplePaasProvider({ name: "simple-paas", dirname: ROOT, components: [HostWithSites] }), process.argv.slice(2)).catch((err) => {
  console.error(err);
  process.exit(1);
});
