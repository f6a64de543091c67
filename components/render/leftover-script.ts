/**
 * The check run right before Pulumi creates a docker object with a fixed
 * name: a leftover of an interrupted `up` carrying simple-paas's label is
 * removed (host-scripts/clear-leftover.sh). Pure: input -> bash text.
 */
import { renderHostScript } from "./host-script";
import { DOCKER_NAME, requireRule } from "../model/rules";

export interface LeftoverInput {
  kind: "container" | "network";
  name: string;
  /** The label (and its value) that makes the object simple-paas's. */
  label: { key: string; value: string };
}

export function renderClearLeftoverScript(input: LeftoverInput): string {
  requireRule("name", input.name, DOCKER_NAME);
  return renderHostScript({
    purpose: `remove a leftover ${input.kind} ${input.name} of an interrupted pulumi up`,
    tag: `clear-leftover ${input.name}`,
    values: {
      SP_AS_ROOT: "no",
      SP_KIND: input.kind,
      SP_KIND_LABELS_FIELD: input.kind === "container" ? "Config.Labels" : "Labels",
      SP_NAME: input.name,
      SP_LABEL: input.label.key,
      SP_LABEL_VALUE: input.label.value,
    },
    file: "clear-leftover.sh",
  });
}
