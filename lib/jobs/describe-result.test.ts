import { describe, expect, it } from "vitest";
import { describeJobResult } from "./describe-result";

describe("describeJobResult: the CLI's last line and the dialog's end state", () => {
  it("says what a backup, a drill and an adoption did, in words", () => {
    expect(describeJobResult({ backupId: 3, name: "shop_20261202.dump", method: "dump", sizeBytes: 2048 })).toBe("backup #3 shop_20261202.dump (dump, 2.0 kB) written and verified.");
    expect(describeJobResult({ backupId: 3, name: "shop.dump", ok: true, tables: 4, rows: 1200, restoreMs: 2500 })).toBe("restore drill of shop.dump passed: 4 tables, 1200 rows restored in 2.5 s.");
    expect(describeJobResult({ backupId: 9, name: "db_backup_20261201.sql", adopted: true, sha256: "ab".repeat(32) })).toBe(
      "db_backup_20261201.sql verified and adopted (sha256 abababababab…); it can be restored now.",
    );
    expect(describeJobResult(null)).toBe("done.");
  });
});
