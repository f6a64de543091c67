import * as assert from "node:assert/strict";
import { defaultSiteSchedules, siteScheduleMinute } from "../../components/model/schedules";
import { cronSchedule } from "../../components/model/rules";
import { longestCronGapSeconds } from "../../components/model/schemas";

describe("default backup schedules, spread by the site's name", () => {
  const sites = Array.from({ length: 10 }, (_, i) => `site-${i}`);

  it("puts ten sites on at least seven different minutes, each the same on every call", () => {
    const minutes = sites.map(siteScheduleMinute);
    assert.deepEqual(sites.map(siteScheduleMinute), minutes, "stable");
    minutes.forEach((m) => assert.ok(Number.isInteger(m) && m >= 0 && m < 60, `minute ${m}`));
    assert.ok(new Set(minutes).size >= 7, `ten sites on ${new Set(minutes).size} minutes: ${minutes.join(" ")}`);
    // The same ten names again in another order: the schedule depends on the name alone.
    assert.deepEqual([...sites].reverse().map(siteScheduleMinute), [...minutes].reverse());
  });

  it("keeps prune and drill away from the site's backup minute, every value a valid schedule", () => {
    for (const site of sites) {
      const m = siteScheduleMinute(site);
      const s = defaultSiteSchedules(site);
      assert.equal(s.backup, `${m} * * * *`);
      assert.equal(s.prune, `${(m + 30) % 60} 3 * * *`);
      assert.equal(s.drill, `${(m + 15) % 60} 4 * * 0`);
      for (const value of Object.values(s)) assert.equal(cronSchedule.safeParse(value).success, true, value);
      assert.equal(longestCronGapSeconds(s.backup), 3600, "hourly: overdue after the same hour as @hourly");
      assert.equal(longestCronGapSeconds(s.drill), 7 * 24 * 3600);
    }
  });
});
