/**
 * Default schedules of a site's backup, prune and restore drill, spread
 * over the hour by the site's name: with one cron file per site, the same
 * default for every site would start every dump and restic run on the host
 * in the same second (ten at :00 ran MariaDB out of connections in the
 * benchmark). A hash of the name, not the site's place among its
 * neighbours, so that adding a site never moves another one's schedule.
 * Scheduled backups also run one at a time on the host (`sp backup
 * --scheduled` waits for the others), so two sites on the same minute or a
 * schedule given to all sites at once still do not compete.
 */
import { createHash } from "node:crypto";

/** The site's minute of the hour, 0–59, from its name. */
export function siteScheduleMinute(site: string): number {
  return createHash("sha256").update(site).digest().readUInt32BE(0) % 60;
}

export interface SiteSchedules {
  /** Every hour at the site's minute. */
  backup: string;
  /** Daily in the 3 o'clock hour, half an hour away from the site's backups. */
  prune: string;
  /** Sundays in the 4 o'clock hour, a quarter hour away from the site's backups. */
  drill: string;
}

export function defaultSiteSchedules(site: string): SiteSchedules {
  const m = siteScheduleMinute(site);
  return {
    backup: `${m} * * * *`,
    prune: `${(m + 30) % 60} 3 * * *`,
    drill: `${(m + 15) % 60} 4 * * 0`,
  };
}
