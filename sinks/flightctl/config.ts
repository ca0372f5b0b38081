/**
 * The `backends.flightctl` section of the engine config: where the Flightctl API is, its bearer
 * token (from an environment variable or a file, never inline), the CA its certificate chains to,
 * the request budget, the offline timeout, and the virtual node.
 *
 * ```yaml
 * backends:
 *   flightctl:
 *     url: https://flightctl.example.com
 *     tokenEnv: FLIGHTCTL_TOKEN          # or tokenFile: /etc/bosun/flightctl/token
 *     caFile: /etc/bosun/flightctl/ca.crt
 *     offlineTimeoutSeconds: 300         # not seen for longer = unreachable, not failed
 *     virtualNode: { name: vk-flightctl-node, deviceSelector: { matchLabels: { pool: pods } } }
 * ```
 */
import { readFileSync } from "node:fs";
import { BosunError } from "../../engine/index.ts";

export interface VirtualNodeConfig {
  readonly name: string;
  /** Devices (outside fleets) the node's Pods may run on; absent: every device outside a fleet. */
  readonly deviceSelector?: Readonly<Record<string, unknown>>;
  /** Node status and Lease renewal interval (default 10 s). */
  readonly heartbeatSeconds: number;
}

export interface FlightctlBackendConfig {
  readonly url: string;
  readonly token?: string;
  readonly ca?: string;
  readonly insecureSkipVerify: boolean;
  readonly orgId?: string;
  readonly qps?: number;
  readonly burst?: number;
  readonly offlineTimeoutMs: number;
  readonly virtualNode?: VirtualNodeConfig;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const KEYS = [
  "url",
  "tokenEnv",
  "tokenFile",
  "caFile",
  "insecureSkipVerify",
  "orgId",
  "qps",
  "burst",
  "offlineTimeoutSeconds",
  "virtualNode",
];

/** Validates `backends.flightctl` and reads its token and CA; `subject` names the source in errors. */
export function parseFlightctlConfig(
  doc: unknown,
  subject: string,
  env: NodeJS.ProcessEnv = process.env,
): FlightctlBackendConfig {
  const fail = (message: string): never => {
    throw new BosunError(subject, `backends.flightctl.${message}`);
  };
  if (!isRecord(doc)) return fail("must be a mapping");
  for (const k of Object.keys(doc)) if (!KEYS.includes(k)) fail(`${k} is not a setting (settings: ${KEYS.join(", ")})`);
  const url = doc["url"];
  if (typeof url !== "string" || !/^https:\/\/[^\s/]+/.test(url))
    return fail(
      "url must be the API server's https:// address (plain http is refused: the token would travel in clear)",
    );
  let token: string | undefined;
  if (doc["tokenEnv"] !== undefined) {
    const name = String(doc["tokenEnv"]);
    token = env[name];
    if (!token) fail(`tokenEnv: the environment variable ${name} is empty or unset; export the Flightctl token there`);
  } else if (doc["tokenFile"] !== undefined) {
    const file = String(doc["tokenFile"]);
    try {
      token = readFileSync(file, "utf8").trim();
    } catch (e) {
      throw new BosunError(subject, `backends.flightctl.tokenFile ${file} cannot be read: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }
  let ca: string | undefined;
  if (doc["caFile"] !== undefined) {
    const file = String(doc["caFile"]);
    try {
      ca = readFileSync(file, "utf8");
    } catch (e) {
      throw new BosunError(subject, `backends.flightctl.caFile ${file} cannot be read: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }
  const timeout = doc["offlineTimeoutSeconds"] ?? 300;
  if (typeof timeout !== "number" || !(timeout > 0))
    return fail("offlineTimeoutSeconds must be a number of seconds above 0");
  let virtualNode: VirtualNodeConfig | undefined;
  const vn = doc["virtualNode"];
  if (vn !== undefined) {
    if (!isRecord(vn)) return fail("virtualNode must be a mapping");
    const name = vn["name"] ?? "vk-flightctl-node";
    if (typeof name !== "string" || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name))
      return fail("virtualNode.name must be a DNS name");
    const heartbeat = vn["heartbeatSeconds"] ?? 10;
    if (typeof heartbeat !== "number" || !(heartbeat > 0)) return fail("virtualNode.heartbeatSeconds must be above 0");
    virtualNode = {
      name,
      heartbeatSeconds: heartbeat,
      ...(isRecord(vn["deviceSelector"]) ? { deviceSelector: vn["deviceSelector"] } : {}),
    };
  }
  return {
    url,
    ...(token ? { token } : {}),
    ...(ca ? { ca } : {}),
    insecureSkipVerify: doc["insecureSkipVerify"] === true,
    ...(typeof doc["orgId"] === "string" ? { orgId: doc["orgId"] } : {}),
    ...(typeof doc["qps"] === "number" ? { qps: doc["qps"] } : {}),
    ...(typeof doc["burst"] === "number" ? { burst: doc["burst"] } : {}),
    offlineTimeoutMs: timeout * 1000,
    ...(virtualNode ? { virtualNode } : {}),
  };
}
