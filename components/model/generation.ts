/**
 * What a new host generation does to each kind of resource, in one place.
 *
 * `generation` (HostBootstrapArgs) names the incarnation of a host. The
 * runbook changes it when the host is new or was wiped: Pulumi's state still
 * says everything exists, `--refresh` cannot see a wiped host's files, so
 * every resource on the host must be made anew without asking the host.
 * Each kind of resource gets that through one call here:
 *
 * | resource                                | a new generation ...                          | how              |
 * |-----------------------------------------|-----------------------------------------------|------------------|
 * | host step (command)                     | runs its script again, in place               | forStep          |
 * | docker network, volume-less containers  | is created again                              | forDockerObject  |
 * | image                                   | is pulled again                               | forImage         |
 * | site container                          | gets a new name (created beside, no clash)    | forContainerName |
 *
 * A host step's removal never runs for a new generation: a new host
 * presents a new SSH key, which the removal (made with the old pinned key)
 * would rightly refuse, a wiped host has nothing to remove, and on a host
 * that still runs, removing first would take its sites down. Every script
 * is idempotent, so running it again is all a new or wiped host needs.
 *
 * The packages step records the generation on the host
 * (`<configDir>/host-generation`); steps armed for another generation (a
 * final backup from before the host was wiped) read it there, and scripts
 * that need its value get it through generationValues.
 */

export const DEFAULT_GENERATION = "1";

/** The label docker objects carry; a new value makes the docker provider create them again. */
export const GENERATION_LABEL = "simple-paas.generation";

/**
 * A host step (command resource): the generation is the last argument of
 * its command (`bash -c '<script>' <name> generation=<g>`), so a new one
 * changes the command and the engine updates the step, running its script
 * again without its removal.
 */
export function forStep(generation: string): { args: string[] } {
  return { args: [`generation=${generation}`] };
}

/** The generation as a value of a script that acts on it (SP_GENERATION). */
export function generationValues(generation: string): { SP_GENERATION: string } {
  return { SP_GENERATION: generation };
}

/** A docker network or container with a fixed name: the label makes the provider replace it. */
export function forDockerObject(generation: string): { labels: { label: string; value: string }[] } {
  return { labels: [{ label: GENERATION_LABEL, value: generation }] };
}

/** An image: pulled again (a wiped host has none). */
export function forImage(generation: string): { pullTriggers: string[] } {
  return { pullTriggers: [generation] };
}

/** The part of a site container's name hash that changes with the generation. */
export function forContainerName(generation: string): { generation: string } {
  return { generation };
}
