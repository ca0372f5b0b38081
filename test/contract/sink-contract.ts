/**
 * The contract every backend's sink passes (Kubernetes, memory, and any backend added later):
 * create, update, no write when unchanged, delete, prune only its own objects, idempotent
 * re-apply after a crash before the inventory write, typed errors, abort. A backend's test file
 * calls {@link sinkContract} with a factory of {@link ContractWorld}s, one per test.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SinkError, type SinkErrorKind } from "../../engine/model/errors.ts";
import { refOf, type JsonObject, type ObjectRef } from "../../engine/model/object-ref.ts";
import { backendPass, type BackendPassOptions } from "../../engine/reconcile/backend-pass.ts";
import type { Backend, Change } from "../../engine/reconcile/ports.ts";

/** What a test may do behind Bosun's back, as another client of the backend would. */
export interface OutOfBand {
  /** Creates an object without Bosun's mark. */
  create(object: JsonObject): Promise<void>;
  /** Sets the object's changeable field to `value`. */
  edit(ref: ObjectRef, value: string): Promise<void>;
  /** Removes Bosun's mark from the object. */
  removeMark(ref: ObjectRef): Promise<void>;
  delete(ref: ObjectRef): Promise<void>;
  /** The names of the contract's objects that exist in this test's scope (duplicates would show twice). */
  names(): Promise<string[]>;
}

/** One test's world: a scope of its own (a namespace, a storage) and the backend on it. */
export interface ContractWorld {
  /** A new backend instance on this test's storage: each call is an engine (re)start. */
  backend(): Backend;
  /** A backend whose storage cannot be reached. */
  unreachable(): Backend;
  /** A valid object named `name` whose changeable field holds `value`. */
  valid(name: string, value: string): JsonObject;
  /** An object the backend refuses (invalid whatever is retried). */
  invalid(): JsonObject;
  /** The changeable field of a live object (`Observed.object`). */
  valueOf(live: JsonObject): string | undefined;
  /** What changes on every write of a live object (default `metadata.resourceVersion`). */
  versionOf?(live: JsonObject): unknown;
  /** What tells one object from another of the same name (default `metadata.uid`). */
  identityOf?(live: JsonObject): unknown;
  readonly outOfBand: OutOfBand;
  /**
   * Where the backend can have a conflict: a backend instance that does not force, and another
   * writer taking the object's changeable field (set to `value`).
   */
  readonly conflict?: { backend(): Backend; takeOver(ref: ObjectRef, value: string): Promise<void> };
  cleanup(): Promise<void>;
}

const meta = (live: JsonObject): Record<string, unknown> => (live["metadata"] ?? {}) as Record<string, unknown>;
const signal = (): AbortSignal => AbortSignal.timeout(120_000);
const PASS = { prune: true, maxDeletionShare: 0.3, allowMassDeletion: false };
const LEFT_ALONE = { action: "skipped", reason: "not managed by bosun: left alone" };

function expectError(change: Change | undefined, kind: SinkErrorKind): void {
  expect(change?.action).toBe("skipped");
  expect(change?.error).toBeInstanceOf(SinkError);
  expect(change?.error).toMatchObject({ kind, code: `SINK_${kind.toUpperCase()}` });
}

/** Registers the sink contract tests for one backend. */
export function sinkContract(name: string, makeWorld: () => Promise<ContractWorld>): void {
  describe(`${name}: sink contract`, () => {
    let w: ContractWorld;
    beforeEach(async () => {
      w = await makeWorld();
    });
    afterEach(async () => {
      await w.cleanup();
    });

    const versionOf = (live: JsonObject): unknown => (w.versionOf ? w.versionOf(live) : meta(live)["resourceVersion"]);
    const identityOf = (live: JsonObject): unknown => (w.identityOf ? w.identityOf(live) : meta(live)["uid"]);
    const live = async (b: Backend, ref: ObjectRef): Promise<JsonObject | undefined> =>
      (await b.sink.observe([ref], signal()))[0]?.object;
    const versions = (b: Backend, objs: readonly JsonObject[]): Promise<unknown[]> =>
      Promise.all(objs.map(async (o) => versionOf((await live(b, refOf(o))) ?? {})));
    const pass = (b: Backend, desired: readonly JsonObject[], opts: Partial<BackendPassOptions> = {}) =>
      backendPass(b, desired, { ...PASS, signal: signal(), ...opts });

    it("creates an object, marked as Bosun's, and observes it", async () => {
      const b = w.backend();
      const a = w.valid("contract-a", "v1");
      const [change] = await b.sink.apply([a], signal());
      expect(change).toMatchObject({ action: "created", ref: refOf(a) });
      expect(change?.error).toBeUndefined();
      const [observed] = await b.sink.observe([refOf(a)], signal());
      expect(observed?.managedByBosun).toBe(true);
      expect(w.valueOf(observed?.object ?? {})).toBe("v1");
    });

    it("updates a changed object", async () => {
      const b = w.backend();
      await b.sink.apply([w.valid("contract-a", "v1")], signal());
      const before = await live(b, refOf(w.valid("contract-a", "v1")));
      const [change] = await b.sink.apply([w.valid("contract-a", "v2")], signal());
      expect(change?.action).toBe("configured");
      const after = await live(b, refOf(w.valid("contract-a", "v2")));
      expect(w.valueOf(after ?? {})).toBe("v2");
      expect(versionOf(after ?? {})).not.toEqual(versionOf(before ?? {}));
      expect(identityOf(after ?? {})).toEqual(identityOf(before ?? {}));
    });

    it("writes nothing when the object is unchanged (a copy, or the same object again)", async () => {
      const b = w.backend();
      const a = w.valid("contract-a", "v1");
      await b.sink.apply([a], signal());
      const before = await live(b, refOf(a));
      expect((await b.sink.apply([structuredClone(a)], signal()))[0]?.action).toBe("unchanged");
      expect((await w.backend().sink.apply([a], signal()))[0]?.action).toBe("unchanged");
      const after = await live(b, refOf(a));
      expect(versionOf(after ?? {})).toEqual(versionOf(before ?? {}));
      expect(identityOf(after ?? {})).toEqual(identityOf(before ?? {}));
    });

    it("corrects an out-of-band edit of a field it set (drift, self-heal on)", async () => {
      const b = w.backend();
      const a = w.valid("contract-a", "v1");
      await b.sink.apply([a], signal());
      await w.outOfBand.edit(refOf(a), "edited");
      const [change] = await b.sink.apply([a], signal());
      expect(change?.action).toBe("configured");
      expect(change?.reason).toMatch(/^drift corrected/);
      expect(w.valueOf((await live(b, refOf(a))) ?? {})).toBe("v1");
    });

    it("deletes an object; a second delete finds it already gone", async () => {
      const b = w.backend();
      const a = w.valid("contract-a", "v1");
      await b.sink.apply([a], signal());
      expect(await b.sink.delete([refOf(a)], signal())).toMatchObject([{ action: "deleted", ref: refOf(a) }]);
      expect(await b.sink.observe([refOf(a)], signal())).toEqual([undefined]);
      const [again] = await b.sink.delete([refOf(a)], signal());
      expect(again).toMatchObject({ action: "skipped", reason: "already gone" });
      expect(again?.error).toBeUndefined();
    });

    it("observes absence, and an object it did not write as not Bosun's", async () => {
      const b = w.backend();
      const x = w.valid("contract-x", "theirs");
      await w.outOfBand.create(x);
      const [absent, other] = await b.sink.observe([refOf(w.valid("contract-none", "")), refOf(x)], signal());
      expect(absent).toBeUndefined();
      expect(other?.managedByBosun).toBe(false);
    });

    it("prunes only its own objects: never one it did not mark, and within the mass-deletion guard", async () => {
      const b = w.backend();
      const objs = ["a", "b", "c", "d"].map((n) => w.valid(`contract-${n}`, "v1"));
      const [a, bb, c] = objs as [JsonObject, JsonObject, JsonObject, JsonObject];
      await pass(b, objs);
      // Out of band, never applied by Bosun: not in the inventory, never a candidate.
      await w.outOfBand.create(w.valid("contract-x", "theirs"));
      const dropD = await pass(b, [a, bb, c]);
      expect(dropD.changes.filter((ch) => ch.action === "deleted").map((ch) => ch.ref.name)).toEqual(["contract-d"]);
      // In the inventory but no longer marked: left alone.
      await w.outOfBand.removeMark(refOf(c));
      const dropC = await pass(b, [a, bb]);
      expect(dropC.changes.find((ch) => ch.ref.name === "contract-c")).toMatchObject(LEFT_ALONE);
      expect(dropC.changes.filter((ch) => ch.action === "deleted")).toEqual([]);
      // Dropping everything is more than 30 %: refused, nothing deleted.
      const dropAll = await pass(b, []);
      expect(dropAll.pruneRefused).toMatch(/^MassDeletionRefused/);
      expect((await w.outOfBand.names()).sort()).toEqual(["contract-a", "contract-b", "contract-c", "contract-x"]);
      // With the opt-in it goes, and still only Bosun's own.
      await pass(b, [], { allowMassDeletion: true });
      expect((await w.outOfBand.names()).sort()).toEqual(["contract-c", "contract-x"]);
    });

    it("re-applies idempotently after a crash between apply and the inventory write", async () => {
      const objs = [w.valid("contract-a", "v1"), w.valid("contract-b", "v1")];
      const crashing = w.backend();
      const crash = new Error("crash before the inventory write");
      const inventory = { load: crashing.inventory.load.bind(crashing.inventory), save: () => Promise.reject(crash) };
      await expect(pass({ ...crashing, inventory }, objs)).rejects.toBe(crash);
      const before = await versions(crashing, objs);

      const restarted = w.backend();
      const again = await pass(restarted, objs);
      expect(again.changes.map((ch) => ch.action)).toEqual(["unchanged", "unchanged"]);
      expect(await versions(restarted, objs)).toEqual(before);
      expect((await w.outOfBand.names()).sort()).toEqual(["contract-a", "contract-b"]);
      const fresh = w.backend();
      const recorded = await fresh.inventory.load(fresh.name, signal());
      expect(recorded.entries.map((e) => e.name)).toEqual(["contract-a", "contract-b"]);

      // The recorded inventory drives prune after yet another restart.
      const pruned = await pass(w.backend(), [objs[0] as JsonObject], { maxDeletionShare: 0.5 });
      expect(pruned.changes.filter((ch) => ch.action === "deleted").map((ch) => ch.ref.name)).toEqual(["contract-b"]);
      expect(await w.outOfBand.names()).toEqual(["contract-a"]);
    });

    it("refuses an invalid object with a permanent error and still applies the others", async () => {
      const b = w.backend();
      const [bad, good] = await b.sink.apply([w.invalid(), w.valid("contract-a", "v1")], signal());
      expectError(bad, "permanent");
      expect(good?.action).toBe("created");
    });

    it("reports a conflict with another writer as a conflict error, without writing", async (ctx) => {
      if (!w.conflict) {
        ctx.skip();
        return;
      }
      const b = w.conflict.backend();
      const ref = refOf(w.valid("contract-a", "v1"));
      await b.sink.apply([w.valid("contract-a", "v1")], signal());
      await w.conflict.takeOver(ref, "theirs");
      const [change] = await b.sink.apply([w.valid("contract-a", "v2")], signal());
      expectError(change, "conflict");
      expect(change?.reason).toMatch(/^Conflict: /);
      expect(w.valueOf((await live(b, ref)) ?? {})).toBe("theirs");
    });

    it("fails transiently when the backend cannot be reached", async () => {
      const u = w.unreachable();
      const a = w.valid("contract-a", "v1");
      expectError((await u.sink.apply([a], signal()))[0], "transient");
      expectError((await u.sink.delete([refOf(a)], signal()))[0], "transient");
      const transient = { name: "SinkError", kind: "transient" };
      await expect(u.sink.observe([refOf(a)], signal())).rejects.toMatchObject(transient);
      await expect(u.inventory.load(u.name, signal())).rejects.toMatchObject(transient);
    });

    it("rejects with the abort reason on an aborted signal and writes nothing", async () => {
      const b = w.backend();
      const a = w.valid("contract-a", "v1");
      const ac = new AbortController();
      const reason = new Error("stopped");
      ac.abort(reason);
      await expect(b.sink.apply([a], ac.signal)).rejects.toBe(reason);
      await expect(pass(b, [a], { signal: ac.signal })).rejects.toBe(reason);
      expect(await w.outOfBand.names()).toEqual([]);
      await b.sink.apply([a], signal());
      const before = versionOf((await live(b, refOf(a))) ?? {});
      await expect(b.sink.delete([refOf(a)], ac.signal)).rejects.toBe(reason);
      await expect(b.sink.apply([w.valid("contract-a", "v2")], ac.signal)).rejects.toBe(reason);
      await expect(b.sink.observe([refOf(a)], ac.signal)).rejects.toBe(reason);
      await expect(b.inventory.save(b.name, { entries: [] }, ac.signal)).rejects.toBe(reason);
      expect(versionOf((await live(b, refOf(a))) ?? {})).toEqual(before);
    });
  });
}
