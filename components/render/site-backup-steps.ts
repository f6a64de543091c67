/**
 * The small host steps of a site's backups: the restore a site's creation
 * runs, and the final backup before it is destroyed (the removal of a step
 * that only arms it). Pure: input -> bash text (host-scripts/run-sp.sh,
 * note.sh, final-backup.sh).
 */
import { renderHostScript } from "./host-script";
import { ABSOLUTE_PATH, GENERATION, SITE_NAME, requireRule } from "../model/rules";

/** `sp restore SITE --if-fresh`: the latest snapshot, into what is empty (disaster recovery on a new host). */
export function renderRestoreOnCreateScript(spPath: string, site: string): string {
  requireRule("spPath", spPath, ABSOLUTE_PATH);
  requireRule("site", site, SITE_NAME);
  return renderHostScript({
    purpose: "restore a site's latest snapshot when its data is empty",
    tag: `restore-on-create ${site}`,
    values: { SP_SP_PATH: spPath, SP_ARGS: ["restore", site, "--if-fresh"] },
    file: "run-sp.sh",
  });
}

/** `sp adopt SITE`: the original scripts' snapshots copied into the site's repository (before the restore on creation). */
export function renderAdoptScript(spPath: string, site: string, from: { repository: string; snapshotPath: string; dumpFile: string }): string {
  requireRule("spPath", spPath, ABSOLUTE_PATH);
  requireRule("site", site, SITE_NAME);
  return renderHostScript({
    purpose: "copy the snapshots of a site's repository from the original scripts into its own",
    // What it adopts is in the text: another repository or layout runs the step again.
    tag: `adopt ${site} from ${from.repository} (${from.snapshotPath}, ${from.dumpFile})`,
    values: { SP_SP_PATH: spPath, SP_ARGS: ["adopt", site] },
    file: "run-sp.sh",
  });
}

/** The creation of the step whose removal is the final backup. */
export function renderArmFinalBackupScript(site: string): string {
  requireRule("site", site, SITE_NAME);
  return renderHostScript({
    purpose: "arm the final backup",
    tag: `final-backup ${site}`,
    values: { SP_NOTE: `final backup of ${site} runs when it is destroyed` },
    file: "note.sh",
  });
}

export interface FinalBackupInput {
  spPath: string;
  site: string;
  siteEnvFile: string;
  /** This host's generation, and the file where the packages step records it. */
  generation: string;
  generationFile: string;
  /** Written once the final backup is taken; the data removal that follows requires it. */
  doneFile: string;
}

/** The final backup (host-scripts/final-backup.sh). */
export function renderFinalBackupScript(input: FinalBackupInput): string {
  requireRule("site", input.site, SITE_NAME);
  requireRule("generation", input.generation, GENERATION);
  for (const field of ["spPath", "siteEnvFile", "generationFile", "doneFile"] as const) requireRule(field, input[field], ABSOLUTE_PATH);
  return renderHostScript({
    purpose: "final backup before a site is destroyed",
    tag: `final-backup ${input.site}`,
    values: {
      SP_SP_PATH: input.spPath,
      SP_SITE: input.site,
      SP_SITE_ENV_FILE: input.siteEnvFile,
      SP_GENERATION: input.generation,
      SP_GENERATION_FILE: input.generationFile,
      SP_DONE_FILE: input.doneFile,
    },
    file: "final-backup.sh",
  });
}
