import { setTimeout as sleep } from "node:timers/promises";
import type { KubeClient } from "../../clients/kubernetes/client.ts";
import type { KubeObject, KubeRef } from "../../clients/kubernetes/types.ts";
import { BosunError } from "../../engine/model/errors.ts";
import { describeRef } from "../../engine/model/object-ref.ts";

/** A wait (CRD Established, an object gone) did not finish in time; code `WAIT_TIMEOUT`. */
export class WaitTimeoutError extends BosunError {
  override readonly name = "WaitTimeoutError";
  constructor(subject: string, message: string) {
    super(subject, message, { code: "WAIT_TIMEOUT" });
  }
}

/** Polls `check`, pausing 50 ms → 1 s, until it gives a value, the signal aborts or `timeoutMs` passes. */
async function poll<T>(
  what: string,
  check: () => Promise<T | undefined>,
  signal: AbortSignal | undefined,
  timeoutMs: number,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let pause = 50;
  for (;;) {
    signal?.throwIfAborted();
    const v = await check();
    if (v !== undefined) return v;
    if (performance.now() > deadline) throw new WaitTimeoutError(what, `not done after ${timeoutMs} ms`);
    await sleep(pause, undefined, signal ? { signal } : {});
    pause = Math.min(1_000, pause * 2);
  }
}

function conditionTrue(o: KubeObject, type: string): boolean {
  const st = o["status"] as { conditions?: Array<{ type?: string; status?: string }> } | undefined;
  return (st?.conditions ?? []).some((c) => c.type === type && c.status === "True");
}

/** Waits until the CRD `name` reports Established=True. */
export async function waitEstablished(
  client: KubeClient,
  name: string,
  signal?: AbortSignal,
  timeoutMs = 60_000,
): Promise<KubeObject> {
  const ref: KubeRef = { apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", name };
  return poll(
    `CRD ${name} Established`,
    async () => {
      const o = await client.get(ref, signal);
      return o !== undefined && conditionTrue(o, "Established") ? o : undefined;
    },
    signal,
    timeoutMs,
  );
}

/** Waits until the object no longer exists (finalizers and foreground deletion done). */
export async function waitGone(
  client: KubeClient,
  ref: KubeRef,
  signal?: AbortSignal,
  timeoutMs = 120_000,
): Promise<void> {
  const gone = async (): Promise<true | undefined> => (await client.get(ref, signal)) === undefined || undefined;
  await poll(`${describeRef(ref)} gone`, gone, signal, timeoutMs);
}
