/**
 * How one rollout target (a device's process, a microVM, a machine) stands for a rollout:
 * - `ready`: running and healthy (available);
 * - `failed`: reported failed, or running but failing its health checks;
 * - `pending`: on its way (downloading, starting, no health verdict yet, or its status describes
 *   an earlier spec);
 * - `missing`: not created yet;
 * - `unreachable`: its host's heartbeat is stale: neither failed nor ready, and skipped.
 */
export type TargetState = "ready" | "failed" | "pending" | "missing" | "unreachable";
