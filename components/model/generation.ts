/**
 * What a new host generation does to each kind of resource, in one place.
 *
 * `generation` (HostBootstrapArgs) names the incarnation of a host. The
 * runbook changes it when the host is new or was wiped: Pulumi's state still
 * says everything exists, `--refresh` cannot see a wiped host's files, so
 * every resource on the host must be made anew without asking the host.
 * Each kind of resource gets that through one call here:
 *
 * | resource                                | a new generation ...                          | how            |
 * |-----------------------------------------|-----------------------------------------------|----------------|
 * | host step (command), the default        | runs again from scratch (its removal first)   | forStep        |
 * | host step whose removal destroys data   | runs again in place (no removal)              | forStepInPlace |
 * | docker network, volume-less containers  | is created again                              | forDockerObject|
 * | image                                   | is pulled again                               | forImage       |
 * | site container                          | gets a new name (created beside, no clash)    | forContainerName |
 *
 * and the packages step records it on the host (`<configDir>/host-generation`),
 * where steps armed for another generation (a final backup from before the
 * host was wiped) read it.
 */

export const DEFAULT_GENERATION = "1";

/** The label docker objects carry; a new value makes the docker provider create them again. */
export const GENERATION_LABEL = "simple-paas.generation";

/** A host step (command resource) that runs from scratch on a new generation: its removal first, then its script. */
export function forStep(generation: string): { triggers: string[] } {
  return { triggers: [generation] };
}

/**
 * A host step that re-runs in place: its script carries the generation as a
 * value (SP_GENERATION), so the text changes and the engine updates the
 * step, running the script again without its removal.
 */
export function generationValues(generation: string): { SP_GENERATION: string } {
  return { SP_GENERATION: generation };
}

/** True when `script` carries `generation` the way generationValues puts it there. */
export function scriptCarriesGeneration(script: string, generation: string): boolean {
  return script.includes(`\nreadonly SP_GENERATION='${generation}'\n`);
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
