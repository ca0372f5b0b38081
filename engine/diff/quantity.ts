/**
 * Resource quantities as apimachinery's `resource.Quantity` reads them: `2000m` and `2`, `0.2` and
 * `200m`, `1Gi` and `1073741824` are the same value. The server stores a quantity in its canonical
 * spelling, so Git and live may spell one value two ways; only the value counts.
 *
 *   <quantity> ::= <sign>? <number> <suffix>
 *   <number>   ::= <digits> | <digits>.<digits> | <digits>. | .<digits>
 *   <suffix>   ::= Ki | Mi | Gi | Ti | Pi | Ei | n | u | m | "" | k | M | G | T | P | E | (e|E) <sign>? <digits>
 */

/** An exact value: sign × digits × 10^exp10 × 2^exp2. */
export interface QuantityValue {
  readonly negative: boolean;
  readonly digits: bigint;
  readonly exp10: number;
  readonly exp2: number;
}

const BINARY: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const SHAPE = /^([+-]?)(\d*)(?:\.(\d*))?(.*)$/;
const EXPONENT = /^[eE]([+-]?\d+)$/;

/** The exact value of a quantity (a string, or a number as YAML gives it), or undefined when it is not one. */
export function parseQuantity(v: unknown): QuantityValue | undefined {
  const text = typeof v === "number" ? (Number.isFinite(v) ? String(v) : "") : typeof v === "string" ? v.trim() : "";
  const m = SHAPE.exec(text);
  if (!m) return undefined;
  const [, sign = "", whole = "", fraction = "", suffix = ""] = m;
  if (whole === "" && fraction === "") return undefined;
  let exp10 = -fraction.length;
  let exp2 = 0;
  if (suffix in BINARY) exp2 = BINARY[suffix] as number;
  else if (suffix in DECIMAL) exp10 += DECIMAL[suffix] as number;
  else {
    const e = EXPONENT.exec(suffix);
    if (!e) return undefined;
    const n = Number(e[1]);
    if (!Number.isSafeInteger(n) || Math.abs(n) > 1000) return undefined;
    exp10 += n;
  }
  const digits = BigInt(`${whole}${fraction}` || "0");
  return { negative: sign === "-" && digits !== 0n, digits, exp10, exp2 };
}

function scaled(q: QuantityValue, exp10: number, exp2: number): bigint {
  return q.digits * 10n ** BigInt(q.exp10 - exp10) * 2n ** BigInt(q.exp2 - exp2);
}

/** True when both are quantities of the same value (`2000m` = `2`, `0.2` = `200m`, `1Gi` = `1073741824`). */
export function sameQuantity(a: unknown, b: unknown): boolean {
  const x = parseQuantity(a);
  const y = parseQuantity(b);
  if (!x || !y) return false;
  if (x.negative !== y.negative) return false;
  const e10 = Math.min(x.exp10, y.exp10);
  const e2 = Math.min(x.exp2, y.exp2);
  return scaled(x, e10, e2) === scaled(y, e10, e2);
}

/** Maps whose values are quantities: ResourceRequirements, ResourceQuota, PersistentVolume, Pod overhead. */
const QUANTITY_MAPS = new Set(["limits", "requests", "hard", "capacity", "allocatable", "overhead", "podFixed"]);
/** LimitRange items (`spec.limits[*]`): maps of quantities. */
const LIMIT_RANGE_MAPS = new Set(["max", "min", "default", "defaultRequest", "maxLimitRequestRatio"]);
/** Scalar fields that are quantities wherever they appear in the built-in types. */
const QUANTITY_FIELDS = new Set(["sizeLimit", "divisor", "maximumVolumeSize", "storageCapacity"]);

/** A position in an object: the field name or `#` for a list item, and the position above it. */
export interface Path {
  readonly t: string;
  readonly up: Path | undefined;
}

/**
 * True when the value at `path` is a `resource.Quantity` in the built-in Kubernetes types (the
 * server canonicalizes those; elsewhere a string is compared as written).
 */
export function quantityAt(path: Path | undefined): boolean {
  if (path === undefined) return false;
  const parent = path.up?.t;
  if (parent !== undefined && QUANTITY_MAPS.has(parent)) return true;
  if (QUANTITY_FIELDS.has(path.t)) return true;
  // HorizontalPodAutoscaler metric targets: target.value / target.averageValue.
  if ((path.t === "value" || path.t === "averageValue") && parent === "target") return true;
  if (parent !== undefined && LIMIT_RANGE_MAPS.has(parent))
    return path.up?.up?.t === "#" && path.up.up.up?.t === "limits";
  return false;
}
