/** Inventory object of a simulated device (pure): the NetworkSwitch/SOC/BMC/Server/DPU custom resource. */
import type { KubeObject } from "../../clients/kubernetes/types.ts";
import { DEVICE_API_VERSION, deviceLabels, type DeviceType, type SimDevice } from "./fleet.ts";
import { hash32, hex } from "./hash.ts";

/** Label on every object the simulator creates, so they can be found and cleaned up. */
export const SIM_LABEL = "sim.bosun.dev/simulated";

const MODELS: Readonly<Record<DeviceType, readonly { vendor: string; model: string; arch: string }[]>> = {
  switch: [
    { vendor: "Arista", model: "7050X3", arch: "x86_64" },
    { vendor: "Celestica", model: "DX010", arch: "x86_64" },
    { vendor: "Nvidia", model: "SN2700", arch: "x86_64" },
  ],
  soc: [
    { vendor: "Ampere", model: "Altra-Q64", arch: "arm64" },
    { vendor: "NXP", model: "LX2160A", arch: "arm64" },
  ],
  dpu: [
    { vendor: "Nvidia", model: "BlueField-3", arch: "arm64" },
    { vendor: "AMD", model: "Pensando-DSC2", arch: "arm64" },
  ],
  bmc: [{ vendor: "Aspeed", model: "AST2600", arch: "armv7" }],
  server: [
    { vendor: "Dell", model: "R760", arch: "x86_64" },
    { vendor: "HPE", model: "DL380-Gen11", arch: "x86_64" },
  ],
};

function mac(seed: string | number, name: string): string {
  const h = hex(10, seed, "mac", name);
  return `02:${h.match(/../g)?.join(":") ?? ""}`;
}

export function deviceObject(d: SimDevice, namespace: string, seed: string | number): KubeObject {
  const choices = MODELS[d.type];
  const m = choices[hash32(seed, "model", d.name) % choices.length] ?? choices[0];
  return {
    apiVersion: DEVICE_API_VERSION,
    kind: d.kind,
    metadata: { name: d.name, namespace, labels: { ...deviceLabels(d), [SIM_LABEL]: "true" } },
    spec: {
      serialNumber: `SN${hex(10, seed, "serial", d.name).toUpperCase()}`,
      macAddress: mac(seed, d.name),
      ...(m ? { vendor: m.vendor, model: m.model, arch: m.arch } : {}),
      firmwareVersion: `1.${hash32(seed, "fw", d.name) % 4}.0`,
      rack: `rack${d.rack}`,
      site: d.site,
    },
  };
}
