/** Registry credentials from a kubernetes.io/dockerconfigjson pull secret. Never logged. */

export interface RegistryAuth {
  username: string;
  password: string;
}

interface Entry {
  auth?: string;
  username?: string;
  password?: string;
}

/** Credentials for `host` ("reg.example:5000"), matching "host", "https://host" or "https://host/v1/" keys. */
export function authFor(dockerConfigJson: string, host: string): RegistryAuth | undefined {
  const parsed = JSON.parse(dockerConfigJson) as { auths?: Record<string, Entry> };
  for (const [key, entry] of Object.entries(parsed.auths ?? {})) {
    const keyHost = key.replace(/^https?:\/\//, "").replace(/\/.*$/, "");
    if (keyHost !== host) continue;
    if (entry.username !== undefined && entry.password !== undefined)
      return { username: entry.username, password: entry.password };
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
      const i = decoded.indexOf(":");
      if (i > 0) return { username: decoded.slice(0, i), password: decoded.slice(i + 1) };
    }
  }
  return undefined;
}
