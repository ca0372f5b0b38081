/**
 * Signed desired-state commits: verifies a commit's OpenPGP signature (`gpgsig` header) against
 * the trusted armored public keys named in the engine config.
 */
import * as fs from "node:fs";
import git from "isomorphic-git";
import * as openpgp from "openpgp";

export type SignatureVerdict =
  { readonly ok: true; readonly keyId: string } | { readonly ok: false; readonly reason: string };

export class TrustedKeys {
  private constructor(readonly keys: readonly openpgp.PublicKey[]) {}

  /** Parses armored public keys; throws naming the index of a key that does not parse. */
  static async fromArmored(armored: readonly string[]): Promise<TrustedKeys> {
    const keys: openpgp.PublicKey[] = [];
    for (const [i, text] of armored.entries()) {
      try {
        keys.push(...(await openpgp.readKeys({ armoredKeys: text })));
      } catch (err) {
        throw new Error(
          `trusted key #${i + 1} is not an armored OpenPGP public key (fix verify.trustedKeys in the engine config)`,
          { cause: err },
        );
      }
    }
    return new TrustedKeys(keys);
  }

  get size(): number {
    return this.keys.length;
  }
}

/** Checks commit `oid` in `gitdir`; never throws for a bad or missing signature, says why instead. */
export async function verifyCommitSignature(
  gitdir: string,
  cache: object,
  oid: string,
  trusted: TrustedKeys,
): Promise<SignatureVerdict> {
  const { commit, payload } = await git.readCommit({ fs, gitdir, oid, cache });
  if (!commit.gpgsig) return { ok: false, reason: `commit ${oid} is not signed` };
  let signature: openpgp.Signature;
  try {
    signature = await openpgp.readSignature({ armoredSignature: commit.gpgsig });
  } catch {
    return {
      ok: false,
      reason: `commit ${oid} carries a signature that is not OpenPGP (SSH/X.509 signatures are not supported)`,
    };
  }
  const message = await openpgp.createMessage({ binary: new TextEncoder().encode(payload) });
  const result = await openpgp.verify({ message, signature, verificationKeys: [...trusted.keys], format: "binary" });
  const issuers = signature.getSigningKeyIDs().map((k) => k.toHex().toUpperCase());
  for (const s of result.signatures) {
    try {
      await s.verified;
      return { ok: true, keyId: s.keyID.toHex().toUpperCase() };
    } catch {
      // try the next signature packet
    }
  }
  const known = trusted.keys.some((k) => k.getKeyIDs().some((id) => issuers.includes(id.toHex().toUpperCase())));
  return {
    ok: false,
    reason: known
      ? `commit ${oid}: signature by key ${issuers.join(",")} does not verify (content changed after signing?)`
      : `commit ${oid}: signed by untrusted key ${issuers.join(",") || "(unknown)"}`,
  };
}
