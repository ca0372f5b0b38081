/**
 * Shared pieces of the end-to-end tests: a fleet repo on the real git server, the engine as a child process, samplers.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import type { KubeClient } from "../../clients/kubernetes/client.ts";
import type { KubeObject } from "../../clients/kubernetes/types.ts";

const root = join(import.meta.dirname, "../..");

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 90_000,
  everyMs = 250,
  explain?: () => Promise<string>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      const state = explain ? await explain().catch((e: unknown) => `(no state: ${String(e)})`) : "";
      throw new Error(
        `timed out waiting for ${what}${last ? `: ${String(last)}` : ""}${state ? `\nstate: ${state}` : ""}`,
      );
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface EngineProcess {
  readonly child: ChildProcess;
  readonly output: () => string;
  kill(signal: NodeJS.Signals): Promise<void>;
}

/** Runs `bosun serve --config FILE` as a child process (the real CLI), collecting its logs. */
export async function startEngineProcess(config: Record<string, unknown>): Promise<EngineProcess> {
  const dir = await mkdtemp(join(tmpdir(), "bosun-engine-"));
  const file = join(dir, "engine.yaml");
  await writeFile(file, stringify(config));
  const child = spawn(process.execPath, [join(root, "bin/bosun.mjs"), "serve", "--config", file], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, BOSUN_LOG_LEVEL: "info" },
  });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  return {
    child,
    output: () => out,
    kill: (signal) =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill(signal);
      }),
  };
}

export interface ProcessView {
  readonly name: string;
  readonly device: string;
  readonly revision: string;
  readonly generation: number;
  readonly ready: boolean;
}

export function processView(o: KubeObject): ProcessView {
  const status = (o["status"] ?? {}) as {
    phase?: string;
    observedGeneration?: number;
    conditions?: { type: string; status: string }[];
  };
  const healthy = status.conditions?.find((c) => c.type === "Healthy")?.status === "True";
  const generation = o.metadata.generation ?? 0;
  return {
    name: o.metadata.name,
    device: o.metadata.labels?.["bosun.dev/device"] ?? "",
    revision: o.metadata.labels?.["bosun.dev/revision"] ?? "",
    generation,
    ready: status.phase === "Running" && healthy && status.observedGeneration === generation,
  };
}

/**
 * Watches the DeviceProcesses of a namespace and records the most devices ever unavailable at once
 * (not Running+Healthy on their current spec), over the devices that ever had a process.
 */
export class UnavailabilitySampler {
  private readonly state = new Map<string, ProcessView>();
  private readonly abort = new AbortController();
  maxUnavailable = 0;
  samples = 0;
  private done: Promise<void> | undefined;

  constructor(
    private readonly client: KubeClient,
    private readonly namespace: string,
  ) {}

  async start(): Promise<void> {
    const list = await this.client.list("azure.com/v1alpha1", "DeviceProcess", { namespace: this.namespace });
    for (const o of list.items) this.state.set(o.metadata.name, processView(o));
    const watch = this.client.watch("azure.com/v1alpha1", "DeviceProcess", {
      namespace: this.namespace,
      resourceVersion: list.resourceVersion,
      signal: this.abort.signal,
    });
    this.done = (async () => {
      try {
        for await (const event of watch) {
          if (event.type === "BOOKMARK") continue;
          const o = event.object as KubeObject;
          if (event.type === "DELETED") this.state.delete(o.metadata.name);
          else this.state.set(o.metadata.name, processView(o));
          this.samples++;
          const down = [...this.state.values()].filter((p) => !p.ready).length;
          if (down > this.maxUnavailable) this.maxUnavailable = down;
        }
      } catch (error) {
        if (!this.abort.signal.aborted) throw error;
      }
    })();
  }

  views(): ProcessView[] {
    return [...this.state.values()];
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.done?.catch(() => undefined);
  }
}

/** A fake but well-formed artifact checksum per version (the simulator does not download). */
const checksum = (v: string): string => Buffer.from(v.padEnd(32, "-")).toString("hex").slice(0, 64);

/**
 * The switch-agent DeviceProcessDeployment the end-to-end tests roll out: a canary wave (rack1) and a fleet wave that
 * needs approval, RollingUpdate within `maxUnavailable`.
 */
export function deploymentYaml(namespace: string, version: string, maxUnavailable = 2): string {
  return `apiVersion: azure.com/v1alpha1
kind: DeviceProcessDeployment
metadata:
  name: switch-agent
  namespace: ${namespace}
spec:
  selector:
    matchLabels:
      type: switch
  updateStrategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: ${maxUnavailable}
  successThreshold: "75%"
  waves:
    - name: canary
      selector:
        matchLabels:
          rack: rack1
    - name: fleet
      approval: required
  template:
    metadata:
      labels:
        app: switch-agent
    spec:
      artifact:
        type: oci
        url: ghcr.io/apollo/switch-agent:${version}
        version: ${version}
        checksumSHA256: "${checksum(version)}"
      execution:
        backend: systemd
        command: ["/usr/bin/switch-agent"]
`;
}
