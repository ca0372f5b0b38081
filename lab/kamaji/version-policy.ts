/**
 * The Kubernetes versions Kamaji accepts for a TenantControlPlane, as its validating webhook
 * decides (internal/webhook/handlers/tcp_version.go): the version must parse as semver (a leading
 * `v` allowed); patch levels are ignored; a version above the newest minor Kamaji supports is
 * refused; an update may not downgrade, nor skip a minor.
 */

export interface SemVer {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

export function parseKubeVersion(input: string): SemVer | undefined {
  const m = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/.exec(input);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

const cmp = (a: SemVer, b: SemVer): number => a.major - b.major || a.minor - b.minor;

/** Kamaji's answer on create; undefined = allowed. `supported` is like `v1.35.0`. */
export function refuseOnCreate(version: string, supported: string): string | undefined {
  const v = parseKubeVersion(version);
  if (!v) return `unable to parse the desired Kubernetes version: ${JSON.stringify(version)} is not a semantic version`;
  const s = parseKubeVersion(supported) as SemVer;
  if (cmp(v, s) > 0)
    return `unable to create a TenantControlPlane with a Kubernetes version greater than the supported one, actually v${s.major}.${s.minor}`;
  return undefined;
}

/** Kamaji's answer on update; undefined = allowed. */
export function refuseOnUpdate(oldVersion: string, newVersion: string, supported: string): string | undefined {
  const o = parseKubeVersion(oldVersion);
  if (!o) return "unable to parse the previous Kubernetes version";
  const n = parseKubeVersion(newVersion);
  if (!n)
    return `unable to parse the desired Kubernetes version: ${JSON.stringify(newVersion)} is not a semantic version`;
  const s = parseKubeVersion(supported) as SemVer;
  if (cmp(n, s) > 0) return `unable to upgrade to a version greater than the supported one (v${s.major}.${s.minor})`;
  if (cmp(n, o) < 0)
    return `unable to downgrade a TenantControlPlane from ${o.major}.${o.minor}.0 to ${n.major}.${n.minor}.0`;
  if (n.minor - o.minor > 1) return "unable to upgrade to a minor version in a non-sequential mode";
  return undefined;
}
