/** Shared pieces of the PR workflow tests: the lab forge's users and the fleet files. */
import { createForgeClient, type ForgeClient } from "../../clients/forge/index.ts";
import type { LabForge } from "../../lab/forge/index.ts";

export const REPO = "acme/fleet";
export const TOKENS = {
  bot: "forge-bot-token-5e1f0a9c7d",
  alice: "forge-alice-token-11aa",
  mallory: "forge-mallory-token-22bb",
  carol: "forge-carol-token-33cc",
} as const;
export const WEBHOOK_SECRET = "webhook-secret-9f3b27";

export const FORGE_USERS = [
  { login: "bosun-bot", token: TOKENS.bot, permission: "write" as const },
  { login: "alice", token: TOKENS.alice, permission: "write" as const },
  { login: "mallory", token: TOKENS.mallory, permission: "write" as const },
  { login: "carol", token: TOKENS.carol, permission: "write" as const },
];

export function clientAs(forge: LabForge, token: string): ForgeClient {
  return createForgeClient({ kind: forge.mode, url: forge.clientUrl, repo: REPO, token });
}

export function bosunYaml(namespace: string): string {
  return `apiVersion: bosun.dev/v1alpha1
kind: BosunConfig
defaults:
  namespace: ${namespace}
pullRequests:
  approvers:
    logins: [alice]
    teams:
      sre: [dave]
`;
}

/** A deployment over every SoC (the 10,000 of the big namespace) (no waves: one wave, all devices). */
export function bigDeploymentYaml(namespace: string, rack?: string): string {
  return `apiVersion: azure.com/v1alpha1
kind: DeviceProcessDeployment
metadata:
  name: big-agent
  namespace: ${namespace}
spec:
  selector:
    matchLabels:
      type: soc${rack ? `\n      rack: ${rack}` : ""}
  template:
    spec:
      artifact:
        type: oci
        url: ghcr.io/apollo/big-agent:v1
        version: v1
        checksumSHA256: "${"ab".repeat(32)}"
      execution:
        backend: systemd
        command: ["/usr/bin/big-agent"]
`;
}
