/**
 * The simulator's decisions (pure, deterministic from the seed): how long an agent takes to roll a
 * process, whether the process fails, whether a device is unreachable.
 */
import { SimulatorError } from "./errors.ts";
import { unit } from "./hash.ts";
import { matchesSelector, parseSelector, type LabelSelector } from "./selector.ts";

/**
 * When a process fails. Every criterion given must hold (AND); a `Failure` that is a list of rules
 * fails a process when any rule matches (OR).
 */
export interface FailureRule {
  /** Share of devices (0..1) that fail, picked deterministically from the seed and the device name. */
  readonly share?: number;
  /** Device names, or a predicate on the device name. */
  readonly devices?: readonly string[] | ((device: string) => boolean);
  /** Label selector over the device's labels merged with the DeviceProcess's labels, e.g. `sim.bosun.dev/fail=true`. */
  readonly selector?: string;
  /** Artifact versions that fail (the version being rolled out). */
  readonly versions?: readonly string[];
  /** Healthy condition message; default `health check failing: exit code <exitCode>`. */
  readonly message?: string;
  /** Exit code in the messages (default 1). */
  readonly exitCode?: number;
  /** restartCount reported for the failed process (default 3). */
  readonly restarts?: number;
}

export type Failure = FailureRule | readonly FailureRule[];

export interface FailureContext {
  readonly device: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly version: string;
}

export interface FailureVerdict {
  readonly message: string;
  readonly exitCode: number;
  readonly restarts: number;
}

export type FailureDecider = (ctx: FailureContext) => FailureVerdict | undefined;

function checkShare(name: string, share: number | undefined): void {
  if (share !== undefined && !(share >= 0 && share <= 1))
    throw new SimulatorError("InvalidSpec", `${name} must be in 0..1, got ${share}`);
}

/** Compiles a failure config once (selectors parsed up front) into a decider. */
export function compileFailure(failure: Failure | undefined, seed: string | number): FailureDecider {
  if (failure === undefined) return () => undefined;
  const rules: readonly FailureRule[] = Array.isArray(failure) ? failure : [failure as FailureRule];
  const compiled = rules.map((r) => {
    checkShare("failure share", r.share);
    const selector: LabelSelector | undefined = r.selector === undefined ? undefined : parseSelector(r.selector);
    const devices = r.devices;
    const byName =
      devices === undefined
        ? undefined
        : typeof devices === "function"
          ? devices
          : (
              (set) => (d: string) =>
                set.has(d)
            )(new Set(devices));
    const exitCode = r.exitCode ?? 1;
    const verdict: FailureVerdict = {
      message: r.message ?? `health check failing: exit code ${exitCode}`,
      exitCode,
      restarts: r.restarts ?? 3,
    };
    return (ctx: FailureContext): FailureVerdict | undefined => {
      if (r.share !== undefined && !(unit(seed, "fail", ctx.device) < r.share)) return undefined;
      if (byName !== undefined && !byName(ctx.device)) return undefined;
      if (selector !== undefined && !matchesSelector(selector, ctx.labels)) return undefined;
      if (r.versions !== undefined && !r.versions.includes(ctx.version)) return undefined;
      return verdict;
    };
  });
  return (ctx) => {
    for (const rule of compiled) {
      const v = rule(ctx);
      if (v !== undefined) return v;
    }
    return undefined;
  };
}

/** Unreachable devices: a deterministic share, picked from the seed and the device name. */
export function isUnreachable(seed: string | number, device: string, share: number): boolean {
  checkShare("unreachableShare", share);
  return share > 0 && unit(seed, "unreachable", device) < share;
}

export type DelayRange = readonly [min: number, max: number];

export function checkDelay(range: DelayRange): void {
  const [min, max] = range;
  if (!(Number.isFinite(min) && Number.isFinite(max) && min >= 0 && max >= min)) {
    throw new SimulatorError("InvalidSpec", `delayMs must be [min, max] with 0 <= min <= max, got [${min}, ${max}]`);
  }
}

/** How long the agent of `device` takes to roll out the process spec `specKey`: jittered in [min, max]. */
export function rolloutDelay(seed: string | number, range: DelayRange, device: string, specKey: string): number {
  const [min, max] = range;
  return Math.round(min + unit(seed, "delay", device, specKey) * (max - min));
}

/** A pid the simulated process gets (deterministic, 1000..64999). */
export function simulatedPid(seed: string | number, device: string, specKey: string): number {
  return 1000 + Math.floor(unit(seed, "pid", device, specKey) * 64000);
}
