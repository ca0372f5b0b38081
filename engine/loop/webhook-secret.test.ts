import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  resolveWebhookSecret,
  webhookSecretProblem,
  WebhookSecretError,
  type WebhookSecretSource,
} from "./webhook-secret.ts";

const VALUE = "hm4c-S3cret-never-shown";
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "bosun-webhook-secret-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The error a resolution throws (fails the test when it resolves). */
async function failure(source: WebhookSecretSource, env: NodeJS.ProcessEnv = {}): Promise<WebhookSecretError> {
  const err = await resolveWebhookSecret(source, env).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WebhookSecretError);
  expect(err).toMatchObject({ code: "WEBHOOK_SECRET", subject: "webhook secret" });
  return err as WebhookSecretError;
}

describe("webhook secret resolution", () => {
  it("takes an inline secret as is", async () => {
    expect(await resolveWebhookSecret({ secret: VALUE }, {})).toBe(VALUE);
  });

  it("reads the named environment variable", async () => {
    expect(await resolveWebhookSecret({ secretEnv: "HOOK_SECRET" }, { HOOK_SECRET: VALUE })).toBe(VALUE);
  });

  it("reads a file and drops one trailing newline only", async () => {
    const path = join(dir, "secret");
    await writeFile(path, `${VALUE}\n`);
    expect(await resolveWebhookSecret({ secretFile: path }, {})).toBe(VALUE);
    await writeFile(path, ` ${VALUE} \r\n`);
    expect(await resolveWebhookSecret({ secretFile: path }, {})).toBe(` ${VALUE} `);
  });

  it("says which variable is missing or empty, without any value", async () => {
    const missing = await failure({ secretEnv: "HOOK_SECRET" }, { OTHER: VALUE });
    expect(missing.message).toContain("HOOK_SECRET");
    expect(missing.message).toContain("not set");
    const empty = await failure({ secretEnv: "HOOK_SECRET" }, { HOOK_SECRET: "" });
    expect(empty.message).toContain("HOOK_SECRET");
  });

  it("names an unreadable or empty file and what to do", async () => {
    const gone = await failure({ secretFile: join(dir, "nope") });
    expect(gone.message).toMatch(/nope cannot be read \(ENOENT\); check webhook.secretFile/);
    const path = join(dir, "empty");
    await writeFile(path, "\n");
    expect((await failure({ secretFile: path })).message).toMatch(/empty/);
  });

  it("requires exactly one source", async () => {
    expect(webhookSecretProblem({ port: 0 })).toMatch(/exactly one of secret, secretEnv, secretFile \(got none\)/);
    expect(webhookSecretProblem({ secret: VALUE, secretEnv: "X" })).toMatch(/got secret, secretEnv/);
    expect(webhookSecretProblem({ secretFile: "" })).toMatch(/secretFile must be a non-empty string/);
    expect(webhookSecretProblem({ secretEnv: "X" })).toBeUndefined();
    // A config that names two sources fails at start, and the message never carries the value.
    const both = await failure({ secret: VALUE, secretFile: "/x" } as unknown as WebhookSecretSource);
    expect(both.message).not.toContain(VALUE);
  });
});
