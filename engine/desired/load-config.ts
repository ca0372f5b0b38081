import { DiagnosticCode, type Diagnostic } from "../model/diagnostic.ts";
import { CONFIG_FILE, CREDENTIAL_KEY, defaultConfig, type BosunConfig } from "./bosun-config.ts";
import { locate } from "./locate.ts";
import { parseYamlFile, type ParsedDocument } from "./parse-yaml.ts";
import { schemaDiagnostics } from "./schema-errors.ts";
import { engineOnlyKinds } from "../kinds/engine-only/register.ts";
import { kindValidator } from "./validators.ts";

/** Pointers of every key that looks like a credential. */
function credentialKeys(value: unknown, pointer = ""): string[] {
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) => {
    const p = `${pointer}/${k}`;
    return [...(CREDENTIAL_KEY.test(k) ? [p] : []), ...credentialKeys(v, p)];
  });
}

/** Reads bosun.yaml (or the defaults when the repo has none). */
export function loadConfig(bytes: Uint8Array | undefined): { config: BosunConfig; diagnostics: Diagnostic[] } {
  if (!bytes) return { config: defaultConfig, diagnostics: [] };
  const parsed = parseYamlFile(CONFIG_FILE, bytes);
  if (parsed.diagnostics.length > 0) return { config: defaultConfig, diagnostics: parsed.diagnostics };
  const [doc, ...rest] = parsed.documents;
  if (!doc || rest.length > 0) {
    return {
      config: defaultConfig,
      diagnostics: [
        {
          file: CONFIG_FILE,
          line: 1,
          col: 1,
          pointer: "",
          code: DiagnosticCode.InvalidConfig,
          message: "bosun.yaml must hold exactly one document (apiVersion: bosun.dev/v1alpha1, kind: BosunConfig)",
        },
      ],
    };
  }
  const diagnostics: Diagnostic[] = credentialKeys(doc.value).map((pointer) => ({
    file: CONFIG_FILE,
    ...locate(doc, pointer, true),
    pointer,
    code: DiagnosticCode.CredentialInConfig,
    message: `bosun.yaml: ${pointer.slice(1).replace(/\//g, ".")} looks like a credential; bosun.yaml is in Git, so put credentials in the engine config or the environment`,
  }));
  if (diagnostics.length > 0) return { config: defaultConfig, diagnostics };
  return validateConfig(doc);
}

function validateConfig(doc: ParsedDocument): { config: BosunConfig; diagnostics: Diagnostic[] } {
  const validate = kindValidator(engineOnlyKinds.find((k) => k.kind === "BosunConfig"));
  const value = structuredClone(doc.value);
  if (!validate || value["apiVersion"] !== "bosun.dev/v1alpha1" || value["kind"] !== "BosunConfig") {
    return {
      config: defaultConfig,
      diagnostics: [
        {
          file: CONFIG_FILE,
          line: doc.line,
          col: doc.col,
          pointer: "",
          code: DiagnosticCode.InvalidConfig,
          message: "bosun.yaml must be apiVersion: bosun.dev/v1alpha1, kind: BosunConfig",
        },
      ],
    };
  }
  if (!validate(value)) {
    return {
      config: defaultConfig,
      diagnostics: schemaDiagnostics(validate.errors ?? [], doc, CONFIG_FILE, "bosun.yaml"),
    };
  }
  const { paths, defaults, agents, status, pullRequests } = value as unknown as BosunConfig;
  const annotations = (value["metadata"] as { annotations?: Record<string, string> } | undefined)?.annotations ?? {};
  return {
    config: { annotations, paths, defaults, agents, status, ...(pullRequests ? { pullRequests } : {}) },
    diagnostics: [],
  };
}
