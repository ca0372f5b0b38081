/**
 * Benchmark: engine/diff at fleet scale (100,000 DeviceProcess-like objects, 0.1 % drifted).
 * Run: node --import tsx bench/kube-diff.ts   (prints JSON; no assertions)
 * Target (ARCHITECTURE.md): cold reconcile to a plan ≤ 15 s on 2 cores; the diff is one part of it.
 */
import { diffObject, prepareDesired, type JsonObject } from "../engine/diff/index.ts";

const N = Number(process.env["BENCH_N"] ?? 100_000);

function desired(i: number): JsonObject {
  return {
    apiVersion: "azure.com/v1alpha1",
    kind: "DeviceProcess",
    metadata: {
      name: `switch-agent-${i}`,
      namespace: "infra-system",
      labels: { app: "switch-agent", rack: `r${i % 40}` },
    },
    spec: {
      deviceRef: { kind: "NetworkSwitch", name: `tor-${i}` },
      artifact: { type: "oci", url: "ghcr.io/apollo/switch-agent:v1.2.3", checksumSHA256: "a".repeat(64) },
      execution: {
        backend: "systemd",
        command: ["/usr/bin/switch-agent"],
        args: ["--config", "/etc/switch-agent/config.yaml"],
        env: [{ name: "LOG_LEVEL", value: "info" }],
      },
      restartPolicy: "Always",
      healthCheck: { exec: { command: ["/usr/bin/switch-agent", "health"] }, periodSeconds: 30 },
    },
  };
}

const fields = {
  "f:metadata": {
    "f:labels": { "f:app": {}, "f:rack": {}, "f:app.kubernetes.io/managed-by": {} },
    "f:annotations": { "f:bosun.dev/desired-digest": {} },
  },
  "f:spec": {
    "f:deviceRef": { "f:kind": {}, "f:name": {} },
    "f:artifact": { "f:type": {}, "f:url": {}, "f:checksumSHA256": {} },
    "f:execution": { "f:backend": {}, "f:command": {}, "f:args": {}, "f:env": {} },
    "f:restartPolicy": {},
    "f:healthCheck": { "f:exec": { "f:command": {} }, "f:periodSeconds": {} },
  },
};

const t0 = performance.now();
const pairs: Array<[JsonObject, JsonObject]> = [];
for (let i = 0; i < N; i++) {
  const d = prepareDesired(desired(i));
  const live = structuredClone(d);
  Object.assign(live["metadata"] as JsonObject, {
    uid: `u${i}`,
    resourceVersion: String(i),
    generation: 1,
    managedFields: [{ manager: "bosun", operation: "Apply", fieldsType: "FieldsV1", fieldsV1: fields }],
  });
  live["status"] = { phase: "Running", artifactVersion: "v1.2.3", restartCount: 0 };
  if (i % 1000 === 0) ((live["spec"] as JsonObject)["artifact"] as JsonObject)["url"] = "ghcr.io/evil:v6";
  pairs.push([d, live]);
}
const t1 = performance.now();
let drifted = 0;
for (const [d, l] of pairs) if (diffObject(d, l).state !== "in-sync") drifted++;
const t2 = performance.now();
process.stdout.write(
  `${JSON.stringify({ objects: N, drifted, prepareMs: Math.round(t1 - t0), diffMs: Math.round(t2 - t1), rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20) })}\n`,
);
