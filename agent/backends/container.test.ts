import { describe, expect, it } from "vitest";
import { ContainerBackend, containerName, importedImage, runArgs } from "./container.ts";
import { fakeRunner, testLaunch } from "./testing.ts";

const l = testLaunch(
  "infra/Switch-Agent",
  ["/bin/sh", "/app.sh"],
  { resources: { limits: { memory: "64Mi", cpu: "500m" } } },
  { env: { LOG_LEVEL: "info", BOSUN_ARTIFACT: "/x" }, artifactSha256: "ab".repeat(32), workingDir: "/work" },
);

describe("container backend (command lines through a fake CLI)", () => {
  it("names the container and the imported image after the DeviceProcess and checksum", () => {
    expect(containerName(l)).toBe("bosun-infra_switch-agent");
    expect(importedImage(l)).toBe("localhost/bosun/bosun-infra-switch-agent:abababababababab");
  });
  it("builds run flags: limits, env (without the host artifact path), workdir, extra flags, image, argv", () => {
    expect(runArgs(l, "img:1", ["--network=none"])).toEqual([
      "run",
      "-d",
      "--name",
      "bosun-infra_switch-agent",
      "--label",
      "bosun.dev/key=infra/Switch-Agent",
      "--label",
      `bosun.dev/artifact-sha256=${"ab".repeat(32)}`,
      "--stop-timeout",
      "2",
      "--memory",
      String(64 * 1024 * 1024),
      "--cpus",
      "0.5",
      "-e",
      "LOG_LEVEL=info",
      "-w",
      "/work",
      "--network=none",
      "img:1",
      "/bin/sh",
      "/app.sh",
    ]);
  });
  it("imports a rootfs tar once, then runs with the global flags", async () => {
    let exists = false;
    const f = fakeRunner((line) => {
      if (line.includes("image exists")) return { code: exists ? 0 : 1 };
      if (line.includes(" inspect ")) return { code: 125, stderr: "Error: no such container" };
      return undefined;
    });
    const b = new ContainerBackend({
      runner: f.runner,
      globalArgs: ["--runtime", "runc"],
      runArgs: ["--network=none"],
    });
    await b.prepare(l);
    exists = true;
    await b.prepare(l);
    expect(f.calls.filter((c) => c.includes(" import "))).toEqual([
      `podman --runtime runc import /dev/null ${importedImage(l)}`,
    ]);
    await b.start(l).catch(() => undefined);
    expect(f.calls.some((c) => c.startsWith("podman --runtime runc run -d --name bosun-infra_switch-agent"))).toBe(
      true,
    );
  });
  it("pulls oci images by digest with the pull secret's auth file", async () => {
    const f = fakeRunner((line) => (line.includes("image exists") ? { code: 1 } : undefined));
    const b = new ContainerBackend({ runner: f.runner, authFile: () => Promise.resolve("/run/auth.json") });
    await b.prepare({ ...l, image: `reg:5000/a/b@sha256:${"c".repeat(64)}` });
    expect(f.calls.at(-1)).toBe(`podman pull --authfile /run/auth.json reg:5000/a/b@sha256:${"c".repeat(64)}`);
  });
  it("reads state from inspect and runs exec probes inside the container", async () => {
    const f = fakeRunner((line) =>
      line.includes(" inspect ")
        ? { stdout: "running|4242|0|2025-11-17T10:01:00.000Z\n" }
        : line.includes(" exec ")
          ? { code: 1 }
          : undefined,
    );
    const b = new ContainerBackend({ runner: f.runner });
    expect(await b.observe(l)).toEqual({ state: "running", pid: 4242, startTime: "2025-11-17T10:01:00.000Z" });
    expect(await b.execProbe(l, ["/bin/check"], 1000)).toBe(false);
    expect(f.calls.at(-1)).toBe("podman exec bosun-infra_switch-agent /bin/check");
  });
});
