import { describe, expect, it } from "vitest";
import { dumpFileName, isDumpFileName } from "./backup-names";
import { dirDumpJobs, pgDumpDirArgs } from "./dump-dir";
import { manualRestoreCommand } from "./restore-command";

describe("directory-format dumps, the pure parts", () => {
  it("pg_dump -Fd -j N into the given directory, the password never in argv, a snapshot only when it is one", () => {
    expect(pgDumpDirArgs("/b/db_backup_1.dir.partial", 3, 1, "00000003-00000002-1")).toEqual([
      "--no-password", "-Fd", "-Z", "1", "-j", "3", "--snapshot=00000003-00000002-1", "-f", "/b/db_backup_1.dir.partial",
    ]);
    const noJobs = pgDumpDirArgs("/b/x", 0, 1);
    expect(noJobs[noJobs.indexOf("-j") + 1]).toBe("1");
    expect(() => pgDumpDirArgs("/b/x", 2, 1, "1; rm -rf /")).toThrow(/snapshot/);
  });

  it("workers follow the cores, at most 4", () => {
    expect([1, 2, 8].map((c) => dirDumpJobs(c))).toEqual([1, 2, 4]);
  });

  it("are named .dir, and only such names count as dump directories", () => {
    const name = dumpFileName("named", "directory", { now: new Date(0), label: "v2.0.0" });
    expect(name).toBe("db_backup_v2.0.0.dir");
    expect(isDumpFileName(name)).toBe(true);
    expect(isDumpFileName("db_backup_x.dirs")).toBe(false);
  });

  it("the manual restore checks the manifest checksum and restores with -j (no --single-transaction)", () => {
    const sha = "a".repeat(64);
    const text = manualRestoreCommand({
      app: { dbHost: "db", dbPort: 5432, dbUser: "shop", dbName: "shop", backupsDir: "/opt/b" },
      backup: { name: "db_backup_1.dir", method: "dump", format: "directory", sha256: sha },
      now: new Date("2026-01-10T10:30:45Z"),
    });
    expect(text).toContain(`test "$(export LC_ALL=C; cd /opt/b/db_backup_1.dir && sha256sum -- * | sha256sum | cut -d' ' -f1)" = ${sha} || exit 1`);
    expect(text).toContain("pg_restore --exit-on-error --no-owner --no-acl -j 2 -d shop_staging_20260110_103045 /opt/b/db_backup_1.dir");
    expect(text).not.toContain("sha256sum --check");
  });
});
