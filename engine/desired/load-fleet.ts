import { builtinKinds } from "../kinds/builtin.ts";
import type { KindRegistry } from "../kinds/kind-registry.ts";
import { compareDiagnostics, DiagnosticCode, type Diagnostic } from "../model/diagnostic.ts";
import { objectKey, objectRef, type FleetFile, type FleetObject } from "../model/fleet-object.ts";
import { CONFIG_FILE, type BosunConfig } from "./bosun-config.ts";
import { collectCrdKinds } from "./crd-schemas.ts";
import { checkDependencies, type DependencyMap } from "./dependencies.ts";
import { loadConfig } from "./load-config.ts";
import { loadDocument } from "./load-document.ts";
import { decodeUtf8, parseYamlFile, type ParsedDocument } from "./parse-yaml.ts";
import { fileClassifier, type FileRole } from "./select-files.ts";
import { resolveSymlink } from "./symlinks.ts";

export interface LoadOptions {
  /** Overrides bosun.yaml's paths.maxFileBytes (default 1 MiB). */
  readonly maxFileBytes?: number;
  /** The kinds to load (default: Bosun's built-in kinds). */
  readonly kinds?: KindRegistry;
}

/** The desired state of one commit: every fleet object, the approvals, and the repo config. */
export interface DesiredState {
  /** Sorted by kind, namespace, name. Excludes engine-only kinds (Approval, BosunConfig). */
  readonly objects: readonly FleetObject[];
  readonly approvals: readonly FleetObject[];
  readonly config: BosunConfig;
  /** Resolved `spec.dependsOn` / `bosun.dev/depends-on` by objectKey (read it with `dependenciesOf`). */
  readonly dependencies?: DependencyMap;
  /** Text of the repo files documents use as templates (a kind's `templateFiles`), by path. */
  readonly templates?: ReadonlyMap<string, string>;
}

export type LoadResult = ({ ok: true } & DesiredState) | { ok: false; diagnostics: Diagnostic[] };

interface Doc {
  readonly file: string;
  readonly role: FileRole;
  readonly parsed: ParsedDocument;
}

/** Files that documents use as templates (a kind's `templateFiles`): not loaded as fleet files. */
function templatePaths(docs: readonly Doc[], kinds: KindRegistry): Set<string> {
  const out = new Set<string>();
  for (const { parsed } of docs) {
    const v = parsed.value;
    const templateFiles = kinds.get(String(v["apiVersion"]), String(v["kind"]))?.templateFiles;
    if (templateFiles) for (const path of templateFiles(v)) out.add(path);
  }
  return out;
}

/**
 * Loads a fleet repo's files into validated desired state. Pure: no I/O, no clock.
 * Collects every problem; a commit with any problem is rejected as a whole.
 */
export function loadFleet(files: readonly FleetFile[], options: LoadOptions = {}): LoadResult {
  const diagnostics: Diagnostic[] = [];
  const byPath = new Map(files.map((f) => [f.path, f]));
  const contents = new Map<string, Uint8Array>();
  for (const f of files) {
    const resolved = resolveSymlink(f, byPath);
    if (resolved.ok) contents.set(f.path, resolved.file.bytes);
    else
      diagnostics.push({
        file: f.path,
        line: 1,
        col: 1,
        pointer: "",
        code: DiagnosticCode.SymlinkEscape,
        message: `${f.path} ${resolved.reason}; replace the link with the file`,
      });
  }

  const { config, diagnostics: configProblems } = loadConfig(contents.get(CONFIG_FILE));
  diagnostics.push(...configProblems);
  const maxBytes = options.maxFileBytes ?? config.paths.maxFileBytes;
  const statusFolder = config.status.mode === "folder" ? [`${config.status.folder.replace(/\/?$/, "/")}**`] : [];
  const classify = fileClassifier(config, [CONFIG_FILE, ...statusFolder]);

  const docs: Doc[] = [];
  for (const path of [...contents.keys()].sort()) {
    const role = classify(path);
    const bytes = contents.get(path);
    if (role === "ignored" || !bytes) continue;
    if (bytes.length > maxBytes) {
      diagnostics.push({
        file: path,
        line: 1,
        col: 1,
        pointer: "",
        code: DiagnosticCode.FileTooLarge,
        message: `${path} is over the ${maxBytes}-byte limit for fleet files; split it or raise paths.maxFileBytes in bosun.yaml`,
      });
      continue;
    }
    const parsed = parseYamlFile(path, bytes);
    diagnostics.push(...parsed.diagnostics);
    for (const d of parsed.documents) docs.push({ file: path, role, parsed: d });
  }

  const kinds = options.kinds ?? builtinKinds;
  const templates = templatePaths(docs, kinds);
  const crds = collectCrdKinds(docs);
  diagnostics.push(...crds.diagnostics);
  const objects: FleetObject[] = [];
  const approvals: FleetObject[] = [];
  const firstSeen = new Map<string, FleetObject>();
  for (const doc of docs) {
    if (templates.has(doc.file)) continue;
    const result = loadDocument({
      file: doc.file,
      parsed: doc.parsed,
      defaultNamespace: config.defaults.namespace,
      crdKinds: crds.kinds,
      files: contents,
      kinds,
    });
    if (!result.ok) {
      diagnostics.push(...result.diagnostics);
      continue;
    }
    const o = result.object;
    const at = { file: doc.file, line: o.source.line, col: o.source.col, pointer: "" };
    if ((doc.role === "approval") !== (o.kind === "Approval")) {
      const message =
        o.kind === "Approval"
          ? `${objectRef(o)} must live under ${config.paths.approvals}`
          : `${objectRef(o)} is under ${config.paths.approvals}, which holds only Approval files (written by bosun approve)`;
      diagnostics.push({ ...at, code: DiagnosticCode.InvalidValue, message });
      continue;
    }
    if (o.kind === "BosunConfig") {
      diagnostics.push({
        ...at,
        code: DiagnosticCode.InvalidConfig,
        message: `BosunConfig belongs in ${CONFIG_FILE} at the repo root`,
      });
      continue;
    }
    const key = objectKey(o);
    const prior = firstSeen.get(key);
    if (prior) {
      diagnostics.push({
        ...at,
        code: DiagnosticCode.DuplicateObject,
        message: `${objectRef(o)} is defined twice: at ${prior.source.file}:${prior.source.line}:${prior.source.col} and at ${doc.file}:${o.source.line}:${o.source.col}; keep one`,
      });
      continue;
    }
    firstSeen.set(key, o);
    (o.kind === "Approval" ? approvals : objects).push(o);
  }

  const { diagnostics: dependencyProblems, dependencies } = checkDependencies(objects, docs, kinds);
  diagnostics.push(...dependencyProblems);
  if (diagnostics.length > 0) return { ok: false, diagnostics: diagnostics.sort(compareDiagnostics) };
  const byKey = (a: FleetObject, b: FleetObject): number =>
    objectKey(a) < objectKey(b) ? -1 : objectKey(a) > objectKey(b) ? 1 : 0;
  const templateTexts = new Map<string, string>();
  for (const path of [...templates].sort()) {
    const bytes = contents.get(path);
    const text = bytes ? decodeUtf8(bytes) : undefined;
    if (text !== undefined) templateTexts.set(path, text);
  }
  return {
    ok: true,
    objects: objects.sort(byKey),
    approvals: approvals.sort(byKey),
    config,
    dependencies,
    templates: templateTexts,
  };
}
