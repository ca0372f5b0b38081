/** Pure helpers that keep credentials out of every message, log line and status file. */

/** Removes `user:pass@` from every http(s) URL in `text`. */
export function redactUrlUserinfo(text: string): string {
  return text.replace(/(\bhttps?:\/\/)[^\s/@]+@/gi, "$1***@");
}

/** Replaces every occurrence of each secret (and its Basic-auth/base64 forms) with `[REDACTED]`. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = redactUrlUserinfo(text);
  for (const secret of secrets) {
    if (secret.length < 3) continue;
    for (const form of [secret, encodeURIComponent(secret), Buffer.from(secret).toString("base64")]) {
      out = out.split(form).join("[REDACTED]");
    }
  }
  return out;
}

/** Splits `https://user:pass@host/x` into a clean URL and the userinfo it carried. */
export function splitUrlUserinfo(url: string): { url: string; username?: string; password?: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url };
  }
  if (!parsed.username && !parsed.password) return { url };
  const username = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  parsed.username = "";
  parsed.password = "";
  return { url: parsed.toString(), username, password };
}
