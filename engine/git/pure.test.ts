import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BosunError } from "../model/errors.ts";
import { classifyGitError, classifyPushRejection, gitErrorCode, toGitSourceError } from "./errors.ts";
import { redactSecrets, redactUrlUserinfo, splitUrlUserinfo } from "./redact.ts";
import { isFleetPath } from "./read-files.ts";
import { loadCredentials } from "./credentials.ts";

describe("credential hygiene", () => {
  it("strips userinfo from URLs and every form of a secret from text", () => {
    expect(redactUrlUserinfo("fetch https://bob:pw@git.example/x.git failed")).toBe(
      "fetch https://***@git.example/x.git failed",
    );
    const b64 = Buffer.from("p@ss/word").toString("base64");
    expect(redactSecrets(`a p@ss/word b ${encodeURIComponent("p@ss/word")} c ${b64}`, ["p@ss/word"])).toBe(
      "a [REDACTED] b [REDACTED] c [REDACTED]",
    );
    expect(splitUrlUserinfo("http://u:p%40w@h:1/r.git")).toEqual({
      url: "http://h:1/r.git",
      username: "u",
      password: "p@w",
    });
  });
  it("wraps errors without leaking the secret into message or cause", () => {
    const e = toGitSourceError(
      Object.assign(new Error("401 for http://u:hunter22@h/r"), { code: "HttpError", data: { statusCode: 401 } }),
      "http://h/r ref main",
      ["hunter22"],
    );
    expect(e.kind).toBe("auth");
    expect(e).toBeInstanceOf(BosunError);
    expect(e.code).toBe("GIT_AUTH");
    expect(e.message).toMatch(/^http:\/\/h\/r ref main: auth: /);
    expect(gitErrorCode("ref-missing")).toBe("GIT_REF_MISSING");
    expect(`${e.message} ${(e.cause as Error).message}`).not.toContain("hunter22");
    expect(e.message).toContain("check the credentials");
  });
  it("classifies transport errors", () => {
    expect(
      classifyGitError(
        Object.assign(new TypeError("fetch failed"), {
          cause: Object.assign(new Error("x"), { code: "ECONNREFUSED" }),
        }),
      ),
    ).toBe("unreachable");
    expect(classifyGitError(Object.assign(new Error("x"), { code: "HttpError", data: { statusCode: 404 } }))).toBe(
      "repo-missing",
    );
    expect(classifyGitError(Object.assign(new Error("x"), { code: "NotFoundError" }))).toBe("ref-missing");
    expect(classifyGitError(new Error("garbage in pack"))).toBe("corrupt");
  });
  it("tells a status push race from a broken server repo and from a refusal", () => {
    expect(classifyPushRejection("non-fast-forward")).toBe("race");
    expect(classifyPushRejection("failed to update ref")).toBe("race");
    expect(classifyPushRejection("missing necessary objects")).toBe("corrupt");
    expect(classifyPushRejection("unpack-objects abnormal exit")).toBe("corrupt");
    expect(classifyPushRejection("pre-receive hook declined")).toBe("push-refused");
  });
  it("reads credentials from env (token → x-access-token) and says what is missing", async () => {
    expect(await loadCredentials({ kind: "env", tokenVar: "T" }, { T: "tok" })).toEqual({
      username: "x-access-token",
      password: "tok",
    });
    expect(await loadCredentials({ kind: "env" }, {})).toBeUndefined();
    const missing = { kind: "file", path: join(tmpdir(), "bosun-no-such-dir", "creds.yaml") } as const;
    const err = await loadCredentials(missing).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ name: "CredentialError", code: "GIT_CREDENTIALS" });
    expect((err as Error).message).toMatch(/^git credentials file .*creds\.yaml: cannot read it: ENOENT/);
  });
  it("selects fleet paths", () => {
    expect(["a.yaml", "b/c.yml", "d.JSON", "bosun.yaml"].every(isFleetPath)).toBe(true);
    expect(isFleetPath("README.md")).toBe(false);
  });
});
