/**
 * Each site's own docker network: a /28 out of the host's sites pool, with
 * the addresses that matter fixed — the gateway (the host), the proxy (the
 * one address the site trusts for forwarded headers) and the site's
 * memcached — and the site's containers taking theirs from the upper half.
 * Docker keeps bridges apart, so a site reaches no other site; the host's
 * firewall matches the bridges by their name (SITE_BRIDGE_PREFIX).
 *
 * A site's /28 is chosen from a hash of its name, so it stays the same
 * wherever and whenever the site is created (a rebuilt host gives it the
 * same addresses); a taken /28 moves the site to the next free one.
 */
import { createHash } from "node:crypto";
import { SITE_BRIDGE_PREFIX } from "./naming";
import { cidrRange } from "./host-setup-input";

/** Each site's network is a /28: 16 addresses. */
export const SITE_SUBNET_BITS = 28;

export interface SiteNetwork {
  /** The docker network's name. */
  name: string;
  /** The Linux bridge's name (at most 15 characters). */
  bridge: string;
  subnet: string;
  gateway: string;
  /** Docker gives the site's containers addresses from here (the upper half): old and new side by side during an update. */
  ipRange: string;
  /** The reverse proxy's address on the network. */
  proxyAddress: string;
  /** The site's memcached, when it has one. */
  memcachedAddress: string;
  /** The MariaDB host part of the site's database user: exactly this network. */
  dbHostPattern: string;
  /** Which /28 of the pool. */
  slot: number;
}

function toText(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join(".");
}

/** How many /28 networks the pool holds. */
export function slotCount(pool: string): number {
  const [first, last] = cidrRange(pool);
  return Math.floor((last - first + 1) / 16);
}

/** The /28 a site's name prefers. */
export function preferredSlot(site: string, pool: string): number {
  const digest = createHash("sha256").update(`simple-paas/site-network/${site}`).digest();
  return digest.readUInt32BE(0) % slotCount(pool);
}

/** The site's network in the given slot of the pool. */
export function siteNetworkAt(site: string, networkPrefix: string, pool: string, slot: number): SiteNetwork {
  const [first] = cidrRange(pool);
  const base = first + slot * 16;
  return {
    name: `${networkPrefix}-${site}`,
    bridge: `${SITE_BRIDGE_PREFIX}${slot}`,
    subnet: `${toText(base)}/${SITE_SUBNET_BITS}`,
    gateway: toText(base + 1),
    ipRange: `${toText(base + 8)}/29`,
    proxyAddress: toText(base + 2),
    memcachedAddress: toText(base + 3),
    dbHostPattern: `${toText(base)}/255.255.255.240`,
    slot,
  };
}

/**
 * Gives each site of a host its network: the preferred /28, or the next free
 * one after it. The same site asking again gets the same network.
 */
export class SiteNetworkAllocator {
  private readonly taken = new Map<number, string>();
  private readonly bySite = new Map<string, SiteNetwork>();

  constructor(private readonly networkPrefix: string, private readonly pool: string) {}

  claim(site: string): SiteNetwork {
    const known = this.bySite.get(site);
    if (known) return known;
    const count = slotCount(this.pool);
    const start = preferredSlot(site, this.pool);
    for (let i = 0; i < count; i++) {
      const slot = (start + i) % count;
      if (!this.taken.has(slot)) {
        this.taken.set(slot, site);
        const network = siteNetworkAt(site, this.networkPrefix, this.pool, slot);
        this.bySite.set(site, network);
        return network;
      }
    }
    throw new Error(`network.sitesPool ${this.pool} is full: it has room for ${count} sites`);
  }
}
