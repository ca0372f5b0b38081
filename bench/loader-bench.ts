/**
 * Loader benchmark (issue 2): load + validate generated fleet trees of 1,000 and 10,000 files,
 * from memory (the pure loader) and from disk (readDirectory + loader).
 * Target: well under 1 s per 1,000 files. Baseline: YAML parsing of the same files alone.
 * Run: npm run bench:loader
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { loadFleet } from "../engine/desired/load-fleet.ts";
import { readDirectory } from "../engine/desired/read-directory.ts";
import type { FleetFile } from "../engine/model/fleet-object.ts";
import { writeResults } from "./support/results.ts";
import { median, mib, timeRuns } from "./support/stats.ts";

const enc = new TextEncoder();
const sha = (i: number): string => i.toString(16).padStart(8, "0").repeat(8).slice(0, 64);

function fleetFile(i: number): string {
  switch (i % 4) {
    case 0:
      return `apiVersion: azure.com/v1alpha1
kind: DeviceProcessDeployment
metadata:
  name: agent-${i}
  namespace: infra-system
spec:
  selector:
    matchLabels: {role: tor, shard: "s${i % 50}"}
  updateStrategy:
    type: RollingUpdate
    rollingUpdate: {maxUnavailable: 10%}
  waves:
    - name: canary
      selector: {matchLabels: {rack: rack1}}
    - name: rest
      approval: required
  template:
    spec:
      artifact: {type: oci, url: "ghcr.io/apollo/agent-${i}:v1.2.3", checksumSHA256: "${sha(i)}"}
      execution: {backend: systemd, command: [/usr/bin/agent], args: [--config, /etc/agent.yaml]}
      healthCheck: {exec: {command: [/usr/bin/agent, health]}, periodSeconds: 30}
`;
    case 1:
      return `apiVersion: agents.tinkerbell.io/v1alpha1
kind: FARAgent
metadata:
  name: far-${i}
  namespace: agents
spec:
  taskId: task-${i}
  resourceLimits: {cpu: "1", memory: 512Mi}
  lifecycle: {state: active}
  microvm:
    host: blade-${i % 40}
    kernel: {image: ghcr.io/k:1}
    rootVolume: {image: ghcr.io/r:1}
`;
    case 2:
      return `apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg-${i}
  namespace: platform
data:
  key: "value-${i}"
`;
    default:
      return `apiVersion: azure.com/v1alpha1
kind: DeviceProcess
metadata:
  name: pinned-${i}
  namespace: infra-system
spec:
  deviceRef: {kind: SOC, name: soc-${i}}
  artifact: {type: http, url: "https://a.example/x-${i}", checksumSHA256: "${sha(i)}"}
  execution: {backend: exec, command: [/opt/x]}
`;
  }
}

function generate(n: number): FleetFile[] {
  return Array.from({ length: n }, (_, i) => ({
    path: `fleet/d${i % 100}/f${i}.yaml`,
    bytes: enc.encode(fleetFile(i)),
  }));
}

const rows: Record<string, unknown>[] = [];
for (const n of [1_000, 10_000]) {
  const files = generate(n);
  const dec = new TextDecoder();
  const parseOnly = await timeRuns(5, () =>
    files.map((f) => parseAllDocuments(dec.decode(f.bytes)).map((d) => d.toJS())),
  );
  const load = await timeRuns(5, () => {
    const r = loadFleet(files);
    if (!r.ok) throw new Error(`generated fleet invalid: ${r.diagnostics[0]?.message}`);
  });
  const dir = mkdtempSync(join(tmpdir(), "bosun-loader-bench-"));
  for (const f of files) {
    mkdirSync(join(dir, f.path, ".."), { recursive: true });
    writeFileSync(join(dir, f.path), f.bytes);
  }
  const fromDisk = await timeRuns(3, async () => {
    const r = loadFleet(await readDirectory(dir));
    if (!r.ok) throw new Error("invalid");
  });
  rmSync(dir, { recursive: true, force: true });
  const perThousand = median(load) / (n / 1000);
  rows.push({
    files: n,
    "parse only (baseline) ms": Math.round(median(parseOnly)),
    "loadFleet ms": Math.round(median(load)),
    "ratio to baseline": (median(load) / median(parseOnly)).toFixed(2),
    "ms per 1,000 files": Math.round(perThousand),
    "from disk ms": Math.round(median(fromDisk)),
    "target (<1000 ms per 1,000)": perThousand < 1000 ? "met" : "MISSED",
    "RSS MiB": mib(process.memoryUsage().rss),
  });
}
writeResults("loader", "Loader: load + validate generated fleet trees", rows, [
  "Medians of 5 runs in memory (pure loader), 3 runs from disk; 1 warm-up run each.",
  "Baseline: parsing the same YAML with the yaml package, no validation.",
]);
