/** The inventory kinds Bosun schedules DeviceProcesses onto (seed 004). */
export const DEVICE_KINDS = ["NetworkSwitch", "SOC", "BMC", "Server", "DPU"] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

/** A device from the inventory, as much as scheduling needs. */
export interface Device {
  readonly kind: DeviceKind;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** Labels Bosun puts on what it renders. */
export const Labels = {
  managedBy: "app.kubernetes.io/managed-by",
  device: "bosun.dev/device",
  deployment: "bosun.dev/deployment",
  revision: "bosun.dev/revision",
  wave: "bosun.dev/wave",
} as const;

export const MANAGER = "bosun";
