/**
 * The engine of `npm start`, in its own process: `bosun serve --config FILE` plus the demo's
 * progress lines on stdout (waves, counts, status commits, refused approvals). Started and
 * restarted by lab/demo/start.ts; a crash of this process leaves the lab (kube-apiserver, git
 * server, simulator) running. It exits when the lab goes away (its IPC channel closes).
 *
 * Usage: node --import tsx lab/demo/engine-process.ts --config FILE --log FILE
 */
import { setMaxListeners } from "node:events";
import { createWriteStream } from "node:fs";
import { parseArgs } from "node:util";
import { readEngineConfig } from "../../app/engine-config.ts";
import { startEngine, type RunningEngine } from "../../app/engine.ts";
import { startVirtualNode } from "../../app/virtual-node.ts";
import { createLogger } from "../../engine/log/logger.ts";
import { ProgressPrinter } from "./progress.ts";

setMaxListeners(0);

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: "string" }, log: { type: "string" } } });
  if (!values.config || !values.log) throw new Error("usage: engine-process.ts --config FILE --log FILE");
  const config = await readEngineConfig(values.config);
  const logger = createLogger({ destination: createWriteStream(values.log, { flags: "a" }) });
  const engineRef: { current?: RunningEngine } = {};
  const printer = new ProgressPrinter(say, () => {
    say("the example fleet is fully rolled out; Bosun keeps serving (Ctrl-C to stop).");
    process.send?.({ type: "rolled-out", url: engineRef.current?.url });
  });
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    const running = engineRef.current;
    void (running ? running.stop(10_000) : Promise.resolve()).finally(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  process.once("disconnect", stop); // the lab is gone
  const engine = await startEngine(config, logger, {
    onReport: (r) => printer.report(r),
    onPass: (o) => printer.pass(o),
  });
  engineRef.current = engine;
  // The virtual node (backends.flightctl.virtualNode), as `bosun serve` runs it.
  startVirtualNode(config, logger);
  process.send?.({ type: "up", url: engine.url, pid: process.pid });
  say(`engine up (pid ${process.pid}): ${engine.url}/healthz`);
}

main().catch((error: unknown) => {
  process.stderr.write(`engine failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
