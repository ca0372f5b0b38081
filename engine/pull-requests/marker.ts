/**
 * The hidden marker that makes a comment Bosun's: `<!-- bosun:plan v1 scope=S part=I/N … -->` on the
 * first line of every part. Part 1 also carries what an approval binds to: the head commit, the plan
 * digest, since when that digest is shown, and the waves a review approval would approve.
 */

/** A wave that a review approval of this plan approves (a DeviceProcessDeployment wave and revision). */
export interface ApprovableWave {
  readonly namespace: string;
  readonly name: string;
  readonly wave: string;
  readonly revision: string;
}

export interface Marker {
  readonly scope: string;
  readonly part: number;
  readonly parts: number;
  readonly head?: string;
  readonly digest?: string;
  /** ISO time the plan digest was first shown at this head: approvals from before do not count. */
  readonly since?: string;
  readonly waves?: readonly ApprovableWave[];
  /** The approval files were committed (after merge) in this commit. */
  readonly committed?: string;
}

const SCOPE = /^[A-Za-z0-9._/-]{1,64}$/;
const LINE = /^<!-- bosun:plan v1 ((?:[a-z]+=[^\s]* ?)+)-->/;

export function validScope(scope: string): boolean {
  return SCOPE.test(scope);
}

export function renderMarker(m: Marker): string {
  const fields = [`scope=${m.scope}`, `part=${m.part}/${m.parts}`];
  if (m.head) fields.push(`head=${m.head}`);
  if (m.digest) fields.push(`digest=${m.digest}`);
  if (m.since) fields.push(`since=${m.since}`);
  if (m.waves && m.waves.length > 0)
    fields.push(`waves=${m.waves.map((w) => `${w.namespace}/${w.name}/${w.wave}@${w.revision}`).join(",")}`);
  if (m.committed) fields.push(`committed=${m.committed}`);
  return `<!-- bosun:plan v1 ${fields.join(" ")} -->`;
}

/** The marker of a comment body, or undefined when the body is not a Bosun plan comment. */
export function parseMarker(body: string): Marker | undefined {
  const match = LINE.exec(body);
  if (!match?.[1]) return undefined;
  const fields = new Map<string, string>();
  for (const pair of match[1].trim().split(" ")) {
    const i = pair.indexOf("=");
    fields.set(pair.slice(0, i), pair.slice(i + 1));
  }
  const scope = fields.get("scope");
  const part = /^(\d+)\/(\d+)$/.exec(fields.get("part") ?? "");
  if (!scope || !validScope(scope) || !part) return undefined;
  const waves = fields
    .get("waves")
    ?.split(",")
    .map((w) => /^([^/@]+)\/([^/@]+)\/([^/@]+)@([0-9a-f]+)$/.exec(w))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ namespace: m[1]!, name: m[2]!, wave: m[3]!, revision: m[4]! }));
  const opt = (k: string): string | undefined => fields.get(k) || undefined;
  const head = opt("head");
  const digest = opt("digest");
  const since = opt("since");
  const committed = opt("committed");
  return {
    scope,
    part: Number(part[1]),
    parts: Number(part[2]),
    ...(head ? { head } : {}),
    ...(digest ? { digest } : {}),
    ...(since ? { since } : {}),
    ...(waves && waves.length > 0 ? { waves } : {}),
    ...(committed ? { committed } : {}),
  };
}
