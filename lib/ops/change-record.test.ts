import { describe, expect, it } from "vitest";
import { buildChangeRecord, parseChangeRecord, type ChangeFacts } from "./change-record";

const facts: ChangeFacts = {
  kind: "rollback",
  live: "shop",
  staging: "shop_staging_20260101_000000",
  preRollbackDb: "shop_pre_rollback_20260101_000000",
  preRollbackBackupId: 7,
  startRelease: "r3",
  restoredFrom: { backupId: 3, name: "db_backup_manual_1.dump", method: "dump" },
  undoOf: null,
};

describe("the change record", () => {
  it.each([
    { swapped: false, switched: false, undo: false, pre: null, release: "r3", hint: /^Nothing was changed/ },
    { swapped: true, switched: false, undo: true, pre: "shop_pre_rollback_20260101_000000", release: "r3", hint: /the database now kept as shop_pre_rollback/ },
    { swapped: false, switched: true, undo: true, pre: null, release: "r2", hint: /^Undo puts back release r3\.$/ },
    { swapped: true, switched: true, undo: true, pre: "shop_pre_rollback_20260101_000000", release: "r2", hint: /database .* and release r3/ },
  ])("swapped=$swapped switched=$switched", ({ swapped, switched, undo, pre, release, hint }) => {
    const r = buildChangeRecord(facts, { swapped, switched, previousRelease: "r3", release: switched ? "r2" : null });
    expect(r.changed).toBe(swapped || switched);
    expect(r.undo.available).toBe(undo);
    expect(r.undo.hint).toMatch(hint);
    expect(r.preRollbackDb).toBe(pre);
    expect(r.preRollbackBackupId).toBe(swapped ? 7 : null);
    expect(r.release).toBe(release);
    expect(parseChangeRecord(JSON.parse(JSON.stringify(r)))).toEqual(r);
  });

  it("reads a stored record that does not match as none, so undo refuses instead of guessing", () => {
    const good = buildChangeRecord(facts, { swapped: true, switched: false, previousRelease: null, release: null });
    expect(parseChangeRecord({ ...good, preRollbackDb: 42 })).toBeNull();
    expect(parseChangeRecord({ changed: true })).toBeNull();
    expect(parseChangeRecord(null)).toBeNull();
  });
});
