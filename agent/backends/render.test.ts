import { describe, expect, it } from "vitest";
import { buildLaunch } from "../supervise/launch.ts";
import type { DeviceProcessSpec } from "../model.ts";
import { renderSystemdUnit, systemdQuote } from "./systemd-unit.ts";
import { renderInitScript, shQuote } from "./initd-script.ts";

const spec: DeviceProcessSpec = {
  deviceRef: { kind: "NetworkSwitch", name: "tor1-01" },
  artifact: { type: "http", url: "https://a/x", checksumSHA256: "ab".repeat(32), version: "v1.2.3" },
  execution: {
    backend: "systemd",
    command: ["/usr/bin/switch-agent"],
    args: ["--config", "/etc/switch agent/c.yaml", "100%", "$HOME"],
    workingDir: "/opt/switch-agent",
    user: "agent",
  },
  restartPolicy: "OnFailure",
  resources: { limits: { memory: "128Mi", cpu: "500m" } },
};
const launch = buildLaunch({
  key: "infra/switch-agent",
  spec,
  env: { LOG_LEVEL: "info" },
  artifactPath: "/var/lib/bosun/a",
  artifactSha256: "ab".repeat(32),
  artifactVersion: "v1.2.3",
  stopTimeoutSec: 15,
  capabilities: ["CAP_NET_ADMIN"],
});

describe("systemd unit", () => {
  const unit = renderSystemdUnit(launch);
  const lines = unit.split("\n");
  it("has ExecStart with quoted args, escaping % and $", () => {
    expect(lines).toContain('ExecStart=/usr/bin/switch-agent --config "/etc/switch agent/c.yaml" "100%%" "$$HOME"');
  });
  it("sets environment, working dir, user and restart", () => {
    expect(lines).toContain("Environment=LOG_LEVEL=info");
    expect(lines).toContain("Environment=BOSUN_ARTIFACT=/var/lib/bosun/a");
    expect(lines).toContain("WorkingDirectory=/opt/switch-agent");
    expect(lines).toContain("User=agent");
    expect(lines).toContain("Restart=on-failure");
    expect(lines).toContain("TimeoutStopSec=15s");
  });
  it("sets resource limits and hardening", () => {
    expect(lines).toContain(`MemoryMax=${128 * 1024 * 1024}`);
    expect(lines).toContain("CPUQuota=50%");
    expect(lines).toContain("PrivateTmp=yes");
    expect(lines).toContain("NoNewPrivileges=yes");
    expect(lines).toContain("CapabilityBoundingSet=CAP_NET_ADMIN");
    expect(lines).toContain("WantedBy=multi-user.target");
    expect(unit.indexOf("[Unit]")).toBeLessThan(unit.indexOf("[Service]"));
  });
  it("maps every restart policy and drops all capabilities by default", () => {
    const always = renderSystemdUnit({ ...launch, restartPolicy: "Always", capabilities: [] });
    expect(always).toMatch(/^Restart=always$/m);
    expect(always).toMatch(/^CapabilityBoundingSet=$/m);
    expect(renderSystemdUnit({ ...launch, restartPolicy: "Never" })).toMatch(/^Restart=no$/m);
  });
  it("refuses relative executables and newlines", () => {
    expect(() => renderSystemdUnit({ ...launch, argv: ["switch-agent"] })).toThrow(/absolute/);
    expect(() => systemdQuote("a\nb")).toThrow(/newline/);
  });
});

describe("init script", () => {
  const script = renderInitScript(launch, {
    pidFile: "/run/x.pid",
    exitFile: "/run/x.exit",
    logFile: "/var/log/x.log",
  });
  it("has the LSB header and the four actions", () => {
    expect(script.startsWith("#!/bin/sh\n### BEGIN INIT INFO\n# Provides:          bosun-infra_switch-agent\n")).toBe(
      true,
    );
    expect(script).toContain("### END INIT INFO");
    for (const a of [
      "start) do_start",
      "stop) do_stop",
      "status) do_status",
      "restart|force-reload) do_stop && do_start",
    ])
      expect(script).toContain(a);
    expect(script).toContain("PIDFILE='/run/x.pid'");
    expect(script).toContain("STOP_TIMEOUT=15");
  });
  it("quotes argv and env for sh", () => {
    expect(shQuote("it's")).toBe(`'it'\\''s'`);
    const { user: _user, ...noUser } = launch;
    const plain = renderInitScript(noUser, {
      pidFile: "/run/x.pid",
      exitFile: "/run/x.exit",
      logFile: "/var/log/x.log",
    });
    expect(plain).toContain(`'/usr/bin/switch-agent' '--config' '/etc/switch agent/c.yaml' '100%' '$HOME'`);
    expect(plain).toContain(`'LOG_LEVEL=info'`);
    expect(plain).not.toContain("su -s");
    expect(script).toContain("cd '/opt/switch-agent'");
    expect(script).toContain("su -s /bin/sh 'agent' -c");
  });
});
