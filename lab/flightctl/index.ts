/**
 * The lab Flightctl: a loopback HTTPS server for the fleets/devices subset of the Flightctl API
 * with simulated enrolled devices (see store.ts and server.ts). `startLabFlightctl` brings one up with
 * its own CA; `labDevices` names and labels a simulated fleet.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { createPki } from "../flintlock/index.ts";
import { FlightctlServer, type Fault } from "./server.ts";
import { FlightctlStore, type SimulationOptions } from "./store.ts";

export { FlightctlServer, type Fault } from "./server.ts";
export { FlightctlStore, CONFLICT_MESSAGE, type SimulationOptions, type StoreSnapshot } from "./store.ts";
export { flightctlSpec, FLIGHTCTL_SPEC_PATH, type SpecValidator } from "./spec.ts";

export interface LabDevice {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly online?: boolean;
  readonly cpu?: string;
  readonly memory?: string;
}

export interface LabFlightctlOptions {
  /** Where the CA and server certificate go. */
  readonly dir: string;
  readonly devices?: readonly LabDevice[];
  readonly simulation?: SimulationOptions;
  readonly token?: string;
  readonly tickMs?: number;
  /** Share 0..1 of devices enrolled offline (every n-th by name). */
  readonly offlineShare?: number;
}

export interface LabFlightctl {
  readonly server: FlightctlServer;
  readonly store: FlightctlStore;
  readonly url: string;
  /** PEM of the CA that signed the server certificate. */
  readonly caFile: string;
  readonly token: string | undefined;
  inject(fault: Fault): void;
  stop(): Promise<void>;
}

/** `count` devices `<prefix>-NNNN`, spread over the fleets (label `fleet`), racks and zones. */
export function labDevices(count: number, fleets: readonly string[], prefix = "edge"): LabDevice[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `${prefix}-${String(i).padStart(4, "0")}`,
    labels: {
      fleet: fleets[i % fleets.length]!,
      rack: `rack${(Math.floor(i / fleets.length) % 5) + 1}`,
      camera: i % 3 === 0 ? "false" : "true",
    },
  }));
}

export async function startLabFlightctl(options: LabFlightctlOptions): Promise<LabFlightctl> {
  const pki = await createPki(join(options.dir, "pki"));
  const store = new FlightctlStore(options.simulation ?? {});
  const devices = options.devices ?? [];
  const offlineEvery = options.offlineShare && options.offlineShare > 0 ? Math.round(1 / options.offlineShare) : 0;
  devices.forEach((d, i) => {
    const online = d.online ?? !(offlineEvery > 0 && i % offlineEvery === offlineEvery - 1);
    store.enrol(d.name, d.labels, {
      online,
      ...(d.cpu ? { cpu: d.cpu } : {}),
      ...(d.memory ? { memory: d.memory } : {}),
    });
  });
  const server = new FlightctlServer({
    store,
    tls: { cert: pki.serverCert, key: pki.serverKey },
    ...(options.token ? { token: options.token } : {}),
    ...(options.tickMs ? { tickMs: options.tickMs } : {}),
  });
  await server.start();
  return {
    server,
    store,
    url: server.url,
    caFile: pki.caCert,
    token: options.token,
    inject: (f) => server.inject(f),
    stop: () => server.stop(),
  };
}

/** The environment variable `npm start`'s engine reads the lab Flightctl's token from. */
export const DEMO_TOKEN_ENV = "BOSUN_LAB_FLIGHTCTL_TOKEN";

/**
 * `npm start`'s Flightctl: fleet `retail-stores` (30 devices over 5 racks, for
 * `fleet-repo-example/edge/video-analytics.yaml`), 4 kiosks outside fleets (`kiosk-agent.yaml`) and
 * 3 devices for the virtual node `vk-flightctl-node`. Sets the token variable for the engine it
 * starts and returns the engine config's `backends` section.
 */
export async function startDemoFlightctl(
  dir: string,
): Promise<{ lab: LabFlightctl; backends: { flightctl: Record<string, unknown> }; stop(): Promise<void> }> {
  const token = randomBytes(24).toString("hex");
  const devices: LabDevice[] = [
    ...labDevices(30, ["retail-stores"], "store"),
    ...Array.from({ length: 4 }, (_, i) => ({ name: `kiosk-${i + 1}`, labels: { role: "kiosk" } })),
    ...["a", "b", "c"].map((z) => ({
      name: `edge-node-${z}`,
      labels: { pool: "pods", zone: z },
      cpu: "2",
      memory: "2Gi",
    })),
  ];
  const lab = await startLabFlightctl({ dir, devices, token, simulation: { stepMs: 800 }, tickMs: 100 });
  lab.store.createFleet({
    apiVersion: "flightctl.io/v1beta1",
    kind: "Fleet",
    metadata: { name: "retail-stores" },
    spec: { selector: { matchLabels: { fleet: "retail-stores" } }, template: { spec: {} } },
  });
  process.env[DEMO_TOKEN_ENV] = token;
  return {
    lab,
    backends: {
      flightctl: {
        url: lab.url,
        tokenEnv: DEMO_TOKEN_ENV,
        caFile: lab.caFile,
        offlineTimeoutSeconds: 60,
        virtualNode: { name: "vk-flightctl-node", deviceSelector: { matchLabels: { pool: "pods" } } },
      },
    },
    stop: () => lab.stop(),
  };
}
