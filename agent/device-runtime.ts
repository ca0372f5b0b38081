/**
 * How the agent runs on a device: plain `node` on the one-file bundle (scripts/build-agent.mjs) with
 * these V8 flags. Measured in bench/results/agent.md; deploy/agent/ (systemd unit, LSB init script)
 * and the bench use exactly this list (agent/device-runtime.test.ts keeps them in step).
 *   --max-semi-space-size=1    a 1 MiB young generation (default grows to 16 MiB)
 *   --max-old-space-size=16    the agent's live heap is 5–8 MiB; a cap well above it
 *   --lite-mode                no optimising compilers, lazy feedback: less code and metadata
 *   --single-threaded          no V8 worker threads (GC and compilation on the main thread)
 *   --gc-global                every GC is a full mark-compact: short-lived garbage promoted out of
 *                              the small young generation does not pile up in old space between
 *                              full GCs (−2.4 MiB RSS for +0.25 % CPU)
 */
export const DEVICE_NODE_FLAGS: readonly string[] = [
  "--max-semi-space-size=1",
  "--max-old-space-size=16",
  "--lite-mode",
  "--single-threaded",
  "--gc-global",
];
