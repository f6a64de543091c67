/**
 * Customising the resources a component makes, as SST v3 components do: a
 * component's `transform` names a child kind, and gives either an object
 * merged into that child's arguments or a function that edits them (and
 * its options) in place. What a transform changes is the operator's: the
 * components' own checks have run before.
 *
 * @example
 * new SimpleSite("blog", { host, name: "blog", image: "...", transform: {
 *   container: (args, opts) => { args.labels = [...(args.labels as any[] ?? []), { label: "team", value: "web" }]; opts.ignoreChanges = ["envs"]; },
 * }});
 */
import type * as pulumi from "@pulumi/pulumi";

export type Transform<T> = Partial<T> | ((args: T, opts: pulumi.CustomResourceOptions, name: string) => void);

/** Applies `t` to a child's name, arguments and options; returns them (new objects: the caller's are not changed). */
export function transform<T extends object>(
  t: Transform<T> | undefined,
  name: string,
  args: T,
  opts: pulumi.CustomResourceOptions,
): [string, T, pulumi.CustomResourceOptions] {
  if (t === undefined) return [name, args, opts];
  const a = { ...args };
  const o = { ...opts };
  if (typeof t === "function") t(a, o, name);
  else Object.assign(a, t);
  return [name, a, o];
}
