import { describe, expect, it } from "vitest";
import { previewSchema, releaseNameSchema, restoreSchema, rollbackSchema, submitChecksOf, undoSchema } from "./rollback";

describe("rollback validation", () => {
  it("parses the dialog's FormData strings", () => {
    expect(rollbackSchema.parse({ app: "shop", targetRelease: "", restoreDatabase: "on", backupId: "12", confirm: "shop" })).toEqual({
      app: "shop",
      targetRelease: undefined,
      restoreDatabase: true,
      backupId: 12,
      confirm: "shop",
      confirmBad: false,
    });
    // What the plan showed comes back as hidden inputs; "(none)" is a current that pointed at nothing.
    const checked = rollbackSchema.parse({ app: "shop", confirm: "shop", expectCurrent: "(none)", expectBackupId: "0", expectLastChange: "7", confirmBad: "on" });
    expect(submitChecksOf(checked)).toEqual({ expect: { current: "(none)", backupId: 0, lastChangeJobId: 7 }, confirmBad: true });
    // Without the database toggle a backup id is ignored.
    expect(rollbackSchema.parse({ app: "shop", targetRelease: "1748601800", backupId: "12", confirm: "shop" })).toMatchObject({
      restoreDatabase: false,
      backupId: undefined,
      targetRelease: "1748601800",
    });
  });

  it("needs the app's name typed to confirm", () => {
    const r = restoreSchema.safeParse({ app: "shop", backupId: "3", confirm: "shop2" });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(["confirm"]);
    expect(undoSchema.safeParse({ app: "shop", jobId: "4", confirm: "" }).success).toBe(false);
  });

  it("refuses release names that are not a plain directory name", () => {
    for (const bad of [".", "..", "current", "../x", "a/b", "/etc", ".hidden", "x..y", "current.tmp-0011", "a\0b", ""]) {
      expect(releaseNameSchema.safeParse(bad).success, bad).toBe(false);
    }
    for (const ok of ["1748601800", "v2.0.0", "20261120T090000Z", "release_3-rc1"]) expect(releaseNameSchema.parse(ok)).toBe(ok);
  });

  it("refuses ids that are not positive integers", () => {
    for (const bad of ["0", "-1", "1.5", "abc", "1; DROP"]) expect(restoreSchema.safeParse({ app: "shop", backupId: bad, confirm: "shop" }).success, bad).toBe(false);
    expect(previewSchema.parse({ kind: "undo", app: "shop", jobId: "9" })).toEqual({ kind: "undo", app: "shop", jobId: 9 });
  });
});
