import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { parseYamlSubset } from "./yaml-subset.ts";
import { parseKubeconfigText } from "./kubeconfig.ts";

const KUBECTL = `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUM=
    server: https://10.0.0.1:6443
  name: kubernetes
contexts:
- context:
    cluster: kubernetes
    namespace: infra-system
    user: kubernetes-admin
  name: kubernetes-admin@kubernetes
current-context: kubernetes-admin@kubernetes
kind: Config
preferences: {}
users:
- name: kubernetes-admin
  user:
    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t
    client-key-data: LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0t
`;

const INDENTED = `# written by hand
---
apiVersion: "v1"
kind: 'Config'
clusters:
  - name: lab   # trailing comment
    cluster:
      server: "https://api.example:6443"
      insecure-skip-tls-verify: true
      certificate-authority: /etc/bosun/ca#1.crt
users:
  - name: dev
    user:
      token: 'abc''def'
      tokenFile: ~
  -
    name: other
    user: {}
contexts: []
"current-context": lab
`;

describe("parseYamlSubset", () => {
  it.each([
    ["kubectl style", KUBECTL],
    ["indented, quoted, commented", INDENTED],
    [
      "plain strings starting with a digit, '+' or '.'",
      "token: 0a1b2c.3d4e5f\nname: 1-cluster\nv: 1.2.3\nw: +x\nz: .hidden\n",
    ],
    [
      "yaml stringify of the lab kubeconfig",
      stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [
          {
            name: "bosun-lab",
            cluster: { server: "https://127.0.0.1:6443", "certificate-authority": "/tmp/x/ca.crt" },
          },
        ],
        users: [{ name: "bosun-admin", user: { token: "t0k.en" } }],
        contexts: [{ name: "bosun-lab", context: { cluster: "bosun-lab", user: "bosun-admin" } }],
        "current-context": "bosun-lab",
      }),
    ],
  ])("reads %s exactly as the yaml package does", (_name, text) => {
    const doc = parseYamlSubset(text);
    expect(doc).toBeDefined();
    expect(doc).toEqual(parse(text));
  });

  it.each([
    ["an anchor", "a: &x 1\nb: *x\n"],
    ["a number", "port: 6443\n"],
    ["a float", "v: 1.5e3\n"],
    ["a hex number", "v: 0x1F\n"],
    ["a block scalar", "a: |\n  line\n"],
    ["a flow sequence", "a: [1, 2]\n"],
    ["a multi-line plain scalar", "a: one\n  two\n"],
    ["a tag", "a: !!str x\n"],
    ["a duplicate key", "a: x\na: y\n"],
    ["a YAML-only escape", 'a: "\\x41"\n'],
    ["a second document", "a: x\n---\nb: y\n"],
    ["tab indentation", "a:\n\tb: c\n"],
  ])("leaves %s to the full parser", (_name, text) => {
    expect(parseYamlSubset(text)).toBeUndefined();
  });

  it("falls back to the yaml package for what the subset does not read", async () => {
    const text = "base: &b\n  server: https://a:6443\nclusters:\n- name: c\n  cluster: *b\n";
    expect(parseYamlSubset(text)).toBeUndefined();
    expect(await parseKubeconfigText(text)).toEqual({
      base: { server: "https://a:6443" },
      clusters: [{ name: "c", cluster: { server: "https://a:6443" } }],
    });
  });

  it("reads JSON kubeconfigs", async () => {
    expect(await parseKubeconfigText('{"clusters":[{"name":"c","cluster":{"server":"https://a"}}]}')).toEqual({
      clusters: [{ name: "c", cluster: { server: "https://a" } }],
    });
  });

  it("never disagrees with the yaml package on generated kubeconfig-shaped documents", () => {
    let seed = 42;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const chars = "abz09.-_:/#' \"@&*!|>{}[],+=~%\\é";
    const str = (): string => Array.from({ length: 1 + rnd(12) }, () => chars[rnd(chars.length)]).join("");
    const val = (): unknown => [str(), str(), String(rnd(1000)), true, null, ""][rnd(6)];
    let read = 0;
    for (let i = 0; i < 500; i++) {
      const doc = {
        apiVersion: "v1",
        kind: "Config",
        "current-context": val(),
        clusters: [
          {
            name: val(),
            cluster: { server: val(), "certificate-authority-data": val(), "insecure-skip-tls-verify": val() },
          },
        ],
        users: [
          { name: val(), user: { token: val(), "client-key": val() } },
          { name: val(), user: {} },
        ],
        contexts: [],
      };
      const text = stringify(doc);
      const ours = parseYamlSubset(text);
      if (ours !== undefined) {
        read++;
        expect(ours).toEqual(parse(text));
      }
    }
    expect(read).toBeGreaterThan(100); // the subset covers the common case, not only trivial documents
  });
});
