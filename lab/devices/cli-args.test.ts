import { describe, expect, it } from "vitest";
import { parseCliArgs } from "./cli-args.ts";
import { SimulatorError } from "./errors.ts";

describe("CLI arguments", () => {
  it("parses fleet, delays, failures and defaults", () => {
    const a = parseCliArgs([
      "--kubeconfig",
      "k",
      "--switches",
      "200",
      "--socs",
      "50",
      "--delay-ms",
      "100-300",
      "--fail-share",
      "0.1",
      "--fail-version",
      "v2",
      "--fail-version",
      "v3",
      "--unreachable-share",
      "0.02",
    ]);
    expect(a).toMatchObject({
      kubeconfig: "k",
      namespace: "infra-system",
      devices: { switches: 200, socs: 50 },
      delayMs: [100, 300],
      unreachableShare: 0.02,
      qps: 50,
      heartbeats: true,
      seed: "1",
    });
    expect(a.failure).toEqual([{ share: 0.1 }, { versions: ["v2", "v3"] }]);
    expect(parseCliArgs(["--kubeconfig", "k", "--no-heartbeats", "--delay-ms", "50"]).delayMs).toEqual([50, 50]);
  });

  it("rejects bad input with a typed error", () => {
    expect(() => parseCliArgs([])).toThrow(SimulatorError);
    expect(() => parseCliArgs(["--kubeconfig", "k", "--switches", "-3"])).toThrow(/--switches/);
    expect(() => parseCliArgs(["--kubeconfig", "k", "--fail-share", "2"])).toThrow(/--fail-share/);
    expect(() => parseCliArgs(["--kubeconfig", "k", "--delay-ms", "9-3"])).toThrow(/max/);
    expect(() => parseCliArgs(["--kubeconfig", "k", "--bogus"])).toThrow(SimulatorError);
  });
});
