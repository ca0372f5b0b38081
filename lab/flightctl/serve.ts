/**
 * The lab Flightctl as its own process (benchmarks): `DEVICES` simulated devices in `FLEETS` fleets
 * (`fleet-NN`, selector `fleet=fleet-NN`). Prints one JSON line `{url, caFile}` when up; on a line
 * `stats` on stdin prints `{requests, maxInFlight}`; exits when stdin closes.
 *
 *   node --import tsx lab/flightctl/serve.ts   (DEVICES=10000 FLEETS=20 STEP_MS=200 DIR=/tmp/x)
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { labDevices, startLabFlightctl } from "./index.ts";

const DEVICES = Number(process.env["DEVICES"] ?? 10_000);
const FLEETS = Number(process.env["FLEETS"] ?? 20);
const fleets = Array.from({ length: FLEETS }, (_, i) => `fleet-${String(i).padStart(2, "0")}`);
const dir = process.env["DIR"] ?? (await mkdtemp(join(tmpdir(), "bosun-flightctl-lab-")));
const lab = await startLabFlightctl({
  dir,
  devices: labDevices(DEVICES, fleets),
  simulation: { stepMs: Number(process.env["STEP_MS"] ?? 200) },
  tickMs: Number(process.env["TICK_MS"] ?? 100),
});
for (const name of fleets)
  lab.store.createFleet({
    apiVersion: "flightctl.io/v1beta1",
    kind: "Fleet",
    metadata: { name },
    spec: { selector: { matchLabels: { fleet: name } }, template: { spec: {} } },
  });
process.stdout.write(`${JSON.stringify({ url: lab.url, caFile: lab.caFile })}\n`);
const lines = createInterface({ input: process.stdin });
lines.on("line", (line) => {
  if (line.trim() === "stats")
    process.stdout.write(
      `${JSON.stringify({
        requests: lab.server.totalRequests(),
        byKind: Object.fromEntries(lab.server.requests),
        maxInFlight: Math.max(...fleets.map((f) => lab.store.maxInFlight(f))),
      })}\n`,
    );
});
lines.on("close", () => void lab.stop().then(() => process.exit(0)));
