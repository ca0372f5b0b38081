import { BosunError } from "../model/errors.ts";

/**
 * A write was refused because this replica does not (or no longer) hold the Lease of the shard
 * it writes for. Code `FENCED`. Nothing was sent; the replica holding the Lease does the write.
 */
export class FencedError extends BosunError {
  override readonly name = "FencedError";
  constructor(subject: string, message: string) {
    super(subject, message, { code: "FENCED" });
  }
}
