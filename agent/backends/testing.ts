/** Test helpers for backends: a recording fake CommandRunner and a Launch builder. */
import type { DeviceProcessSpec } from "../model.ts";
import { buildLaunch, type Launch } from "../supervise/launch.ts";
import type { CommandRunner, RunResult } from "./types.ts";

export interface FakeRunner {
  runner: CommandRunner;
  calls: string[];
}

/** Records "cmd arg …" per call; `answer` decides the result (default: exit 0, no output). */
export function fakeRunner(answer: (line: string) => Partial<RunResult> | undefined = () => undefined): FakeRunner {
  const calls: string[] = [];
  const runner: CommandRunner = (cmd, args) => {
    const line = [cmd, ...args].join(" ");
    calls.push(line);
    return Promise.resolve({ code: 0, signal: null, stdout: "", stderr: "", ...answer(line) });
  };
  return { runner, calls };
}

export function testLaunch(
  key: string,
  argv: string[],
  over: Partial<DeviceProcessSpec> = {},
  extra: Partial<Launch> = {},
): Launch {
  const [command, ...args] = argv;
  const spec: DeviceProcessSpec = {
    deviceRef: { kind: "SOC", name: "dev1" },
    artifact: { type: "file", url: "file:///dev/null", checksumSHA256: "0".repeat(64) },
    execution: { backend: "exec", command: [command ?? "/bin/true"], args },
    ...over,
  };
  return {
    ...buildLaunch({
      key,
      spec,
      env: {},
      artifactPath: "/dev/null",
      artifactSha256: "0".repeat(64),
      artifactVersion: "v1",
      stopTimeoutSec: 2,
    }),
    ...extra,
  };
}
