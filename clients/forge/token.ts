import { readFile } from "node:fs/promises";
import { BosunError } from "../../engine/index.ts";

/** Where the forge token comes from: an environment variable (default BOSUN_FORGE_TOKEN) or a file. Never logged. */
export type TokenSource = { readonly env?: string; readonly file?: string };

export async function readForgeToken(source: TokenSource, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (source.file) {
    const text = await readFile(source.file, "utf8").catch((cause: unknown) => {
      throw new BosunError(`forge token file ${source.file}`, "cannot be read; check the path and permissions", {
        cause,
        code: "FORGE_TOKEN",
      });
    });
    const token = text.trim();
    if (token === "") throw new BosunError(`forge token file ${source.file}`, "is empty", { code: "FORGE_TOKEN" });
    return token;
  }
  const name = source.env ?? "BOSUN_FORGE_TOKEN";
  const token = env[name]?.trim();
  if (!token)
    throw new BosunError(
      `forge token ${name}`,
      `is not set; export ${name} (a token that may comment and set statuses)`,
      { code: "FORGE_TOKEN" },
    );
  return token;
}
