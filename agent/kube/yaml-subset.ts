/**
 * A strict reader for the YAML subset kubeconfigs are written in (kubectl, kubeadm, `yaml`
 * stringify): block mappings, block sequences (also "- key: v" items), single/double-quoted and
 * plain scalars, comments, `[]`/`{}`. It returns undefined for anything outside that subset
 * (anchors, tags, block or multi-line scalars, flow collections, number-like or otherwise ambiguous
 * plain scalars, duplicate keys…), and the caller then uses the full `yaml` parser. So it never
 * guesses: what it returns is what `yaml` would return. It exists so the agent does not load the
 * 115 KB `yaml` package (≈ 3–4 MiB of RSS) just to read a kubeconfig.
 */

type Value = null | boolean | string | Value[] | { [k: string]: Value };
interface Line {
  indent: number;
  text: string;
}

class Unsupported extends Error {}

function stripComment(s: string): string {
  // Only outside quotes: a '#' that starts the text or follows whitespace.
  let q: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (q) {
      if (c === "\\" && q === '"') i++;
      else if (c === q) q = undefined;
    } else if (c === '"' || c === "'") {
      if (i === 0 || /[\s:[{,-]/.test(s[i - 1] ?? "")) q = c;
    } else if (c === "#" && (i === 0 || /\s/.test(s[i - 1] ?? ""))) {
      return s.slice(0, i).trimEnd();
    }
  }
  return s.trimEnd();
}

function scalar(raw: string): Value {
  const s = raw.trim();
  if (s === "" || s === "~" || s === "null" || s === "Null" || s === "NULL") return null;
  if (s === "true" || s === "True" || s === "TRUE") return true;
  if (s === "false" || s === "False" || s === "FALSE") return false;
  if (s === "[]") return [];
  if (s === "{}") return {};
  if (s.startsWith('"')) {
    if (!s.endsWith('"') || s.length < 2) throw new Unsupported();
    // JSON escapes are a subset of YAML's; anything else (\x, \e, line folding) → full parser.
    try {
      return JSON.parse(s) as string;
    } catch {
      throw new Unsupported();
    }
  }
  if (s.startsWith("'")) {
    if (!s.endsWith("'") || s.length < 2) throw new Unsupported();
    const body = s.slice(1, -1);
    if (/'(?!')/.test(body.replace(/''/g, ""))) throw new Unsupported();
    return body.replace(/''/g, "'");
  }
  // Numbers of the YAML 1.2 core schema (what `yaml` resolves): left to the full parser.
  if (
    /^[-+]?[0-9]+$|^0o[0-7]+$|^0x[0-9a-fA-F]+$|^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$|^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$/.test(
      s,
    )
  )
    throw new Unsupported();
  // Indicators and ": " / " #" inside: left to the full parser. A leading digit, "+" or "." is a plain string here.
  if (/^[-?:,[\]{}#&*!|>'"%@`]/.test(s) || /: |\t| #/.test(s) || s.endsWith(":")) throw new Unsupported();
  return s;
}

/** Splits "key: value" / "key:"; undefined when the text is not a mapping entry. */
function entry(text: string): [string, string] | undefined {
  let keyEnd: number;
  if (text.startsWith('"') || text.startsWith("'")) {
    const q = text[0] ?? "";
    let i = 1;
    for (; i < text.length; i++) {
      if (text[i] === "\\" && q === '"') i++;
      else if (text[i] === q) {
        if (q === "'" && text[i + 1] === "'") i++;
        else break;
      }
    }
    keyEnd = i + 1;
    if (text[keyEnd] !== ":") return undefined;
  } else {
    const m = /:(\s|$)/.exec(text);
    if (!m) return undefined;
    keyEnd = m.index;
  }
  const key = scalar(text.slice(0, keyEnd));
  if (typeof key !== "string") throw new Unsupported();
  return [key, text.slice(keyEnd + 1)];
}

class Reader {
  i = 0;
  constructor(private readonly lines: Line[]) {}

  /** A block (mapping or sequence) whose lines start at exactly `indent`. */
  block(indent: number): Value {
    const l = this.lines[this.i];
    if (!l || l.indent !== indent) throw new Unsupported();
    return l.text === "-" || l.text.startsWith("- ") ? this.seq(indent) : this.map(indent);
  }

  /** Value after "key:" (or "-"): inline scalar, or a nested block on the following lines. */
  private nested(rest: string, parentIndent: number, inSeqItem: boolean): Value {
    if (rest.trim() !== "") return scalar(rest);
    const next = this.lines[this.i];
    // kubectl writes a mapping's sequence at the key's own indent ("key:\n- a").
    if (
      next &&
      (next.indent > parentIndent ||
        (!inSeqItem && next.indent === parentIndent && (next.text === "-" || next.text.startsWith("- "))))
    )
      return this.block(next.indent);
    return null;
  }

  private map(indent: number, first?: string): Value {
    const out: { [k: string]: Value } = {};
    let text = first;
    for (;;) {
      if (text === undefined) {
        const l = this.lines[this.i];
        if (!l || l.indent < indent) break;
        if (l.indent > indent) throw new Unsupported();
        if (l.text === "-" || l.text.startsWith("- ")) break; // a sequence at the parent key's indent ends this map
        text = l.text;
      }
      this.i++;
      const kv = entry(text);
      if (!kv) throw new Unsupported();
      const [k, rest] = kv;
      if (Object.hasOwn(out, k) || k === "__proto__") throw new Unsupported();
      out[k] = this.nested(rest, indent, false);
      text = undefined;
    }
    return out;
  }

  private seq(indent: number): Value[] {
    const out: Value[] = [];
    for (;;) {
      const l = this.lines[this.i];
      if (!l || l.indent !== indent || !(l.text === "-" || l.text.startsWith("- "))) {
        if (l && l.indent > indent) throw new Unsupported();
        break;
      }
      const rest = l.text.slice(1).replace(/^ +/, "");
      if (rest === "") {
        this.i++;
        out.push(this.nested("", indent, true));
      } else if (rest.startsWith("- ")) {
        throw new Unsupported(); // nested compact sequence
      } else if (entry(rest)) {
        // "- key: v" starts a mapping whose further keys sit at the column of "key".
        const col = indent + (l.text.length - rest.length);
        this.lines[this.i] = { indent: col, text: rest }; // read forward only: the line is not revisited
        out.push(this.map(col));
      } else {
        this.i++;
        out.push(scalar(rest));
      }
    }
    return out;
  }
}

/** The document, or undefined when it is not in the subset (use the full YAML parser then). */
export function parseYamlSubset(text: string): unknown {
  try {
    const lines: Line[] = [];
    let started = false;
    for (const rawLine of text.replace(/^\uFEFF/, "").split(/\r?\n/)) {
      if (/^\s*\t/.test(rawLine)) throw new Unsupported();
      const body = stripComment(rawLine);
      if (body.trim() === "") continue;
      if (body === "---" && !started) {
        started = true;
        continue;
      }
      if (body.startsWith("%") || body === "---" || body === "...") throw new Unsupported();
      started = true;
      const indent = body.length - body.trimStart().length;
      lines.push({ indent, text: body.trimStart() });
    }
    if (lines.length === 0) return null;
    const r = new Reader(lines);
    const doc = r.block(0); // a kubeconfig is a mapping; a top-level scalar is left to the full parser
    if (r.i !== lines.length) throw new Unsupported();
    return doc;
  } catch (err) {
    if (err instanceof Unsupported) return undefined;
    throw err;
  }
}
