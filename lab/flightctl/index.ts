/**
 * The lab Flightctl: a loopback HTTPS server for the fleets/devices subset of the Flightctl API
 * with simulated enrolled devices (see store.ts and server.ts). `startLabFlightctl` brings one up with
 * its own CA; `labDevices` names and labels a simulated fleet.
 */
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
