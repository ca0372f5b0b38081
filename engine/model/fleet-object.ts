/** Where a value came from in the fleet repo: repo-relative POSIX path, 1-based line and column. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

/** A fleet file as handed to the loader: from a worktree, a git commit or a test fixture. */
export interface FleetFile {
  /** Repo-relative POSIX path, e.g. `devices/switch-agent.yaml`. */
  readonly path: string;
  readonly bytes: Uint8Array;
  /** Set when the entry is a symbolic link: the raw link text. The loader resolves it inside the repo. */
  readonly linkTarget?: string;
}

/** One desired object from the fleet repo, validated against its schema. */
export interface FleetObject {
  readonly apiVersion: string;
  readonly kind: string;
  /** Empty for cluster-scoped objects. */
  readonly namespace: string;
  readonly name: string;
  /** The whole document as plain JSON (metadata, spec …), with schema defaults applied. */
  readonly body: Readonly<Record<string, unknown>>;
  readonly source: SourceLocation;
}

/** `Kind/namespace/name` (or `Kind/name` when cluster-scoped): stable identity of a fleet object. */
export function objectKey(o: { kind: string; namespace: string; name: string }): string {
  return o.namespace === "" ? `${o.kind}/${o.name}` : `${o.kind}/${o.namespace}/${o.name}`;
}

/** `Kind namespace/name`: how errors and logs name an object. */
export function objectRef(o: { kind: string; namespace: string; name: string }): string {
  return o.namespace === "" ? `${o.kind} ${o.name}` : `${o.kind} ${o.namespace}/${o.name}`;
}
