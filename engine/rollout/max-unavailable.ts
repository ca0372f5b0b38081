/** A count of targets, or a percentage of them as `"N%"`. */
export type MaxUnavailable = number | string;

/** `"25%"` → 0.25. */
export function percent(value: string): number {
  return Number(value.replace("%", "")) / 100;
}

/** maxUnavailable as a target count: percentages of `total` round up; at least 1 either way. */
export function resolveMaxUnavailable(value: MaxUnavailable, total: number): number {
  if (typeof value === "number") return Math.max(1, value);
  return Math.max(1, Math.ceil(percent(value) * total));
}
