import { describe, expect, it } from "vitest";
import { manualRestoreCommand, sh } from "./restore-command";

const now = new Date("2026-01-10T10:30:45Z");
const app = {
  dbHost: "127.0.0.1",
  dbPort: 5432,
  dbUser: "shop_owner",
  dbName: "shop",
  backupsDir: "/opt/shop/backups",
  pgDumpPath: "/usr/lib/postgresql/15/bin/pg_dump",
  // An AppView never carries it, but even if a caller passed one it must not show up.
  password: "s3cret-pass",
};

describe("manualRestoreCommand", () => {
  it("restores a custom dump into a staging database, then swaps by renaming", () => {
    const text = manualRestoreCommand({ app, backup: { name: "db_backup_1748601800.dump", method: "dump", format: "custom" }, now });
    expect(text).toContain("export PGHOST=127.0.0.1 PGPORT=5432 PGUSER=shop_owner");
    expect(text).toContain("export PGPASSWORD=...");
    expect(text).toContain(`/usr/lib/postgresql/15/bin/psql -X -v ON_ERROR_STOP=1 -d postgres -c 'CREATE DATABASE "shop_staging_20260110_103045" TEMPLATE template0'`);
    expect(text).toContain(
      "/usr/lib/postgresql/15/bin/pg_restore --exit-on-error --no-owner --no-acl --single-transaction -d shop_staging_20260110_103045 /opt/shop/backups/db_backup_1748601800.dump",
    );
    const swap = text.slice(text.indexOf("<<'SQL'"));
    const order = [
      `ALTER DATABASE "shop" WITH ALLOW_CONNECTIONS false;`,
      "pg_terminate_backend(pid, 5000)",
      "BEGIN;",
      `ALTER DATABASE "shop" RENAME TO "shop_pre_rollback_20260110_103045";`,
      `ALTER DATABASE "shop_staging_20260110_103045" RENAME TO "shop";`,
      "COMMIT;",
    ].map((s) => swap.indexOf(s));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(text).not.toContain("s3cret");
  });

  it("checks the file's recorded sha256 before restoring it, and says so when there is none", () => {
    const sha = "ab".repeat(32);
    const text = manualRestoreCommand({ app: { ...app, pgDumpPath: null }, backup: { name: "db_backup_v2.0.0.sql", method: "dump", format: "plain", sha256: sha }, now });
    expect(text).toContain(`echo '${sha}  /opt/shop/backups/db_backup_v2.0.0.sql' | sha256sum --check --strict || exit 1`);
    expect(text.indexOf("sha256sum")).toBeLessThan(text.indexOf("-f /opt/shop/backups/db_backup_v2.0.0.sql"));
    const none = manualRestoreCommand({ app: { ...app, pgDumpPath: null }, backup: { name: "db_backup_v2.0.0.sql", method: "dump", format: "plain" }, now });
    expect(none).toMatch(/No sha256 was recorded/);
  });

  it("restores a plain dump with psql, stopping at the first error", () => {
    const text = manualRestoreCommand({ app: { ...app, pgDumpPath: null }, backup: { name: "db_backup_v2.0.0.sql", method: "dump", format: "plain" }, now });
    expect(text).toContain("psql -X -v ON_ERROR_STOP=1 --single-transaction -d shop_staging_20260110_103045 -f /opt/shop/backups/db_backup_v2.0.0.sql");
    expect(text).not.toContain("pg_restore");
  });

  it("swaps a clone into place with the seed's rename sequence", () => {
    const text = manualRestoreCommand({ app, backup: { name: "shop_backup_20260101_000000", method: "clone" }, now });
    expect(text).toContain(`SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE datname = 'shop' AND pid <> pg_backend_pid();`);
    expect(text).toContain(`ALTER DATABASE "shop" RENAME TO "shop_pre_rollback_20260110_103045";`);
    expect(text).toContain(`ALTER DATABASE "shop_backup_20260101_000000" RENAME TO "shop";`);
    expect(text).not.toContain("CREATE DATABASE");
    expect(text).not.toContain("s3cret");
  });

  it("quotes paths for the shell and refuses names it would not make", () => {
    const text = manualRestoreCommand({ app: { ...app, backupsDir: "/srv/it's here" }, backup: { name: "db_backup_1.dump", method: "dump", format: "custom" }, now });
    expect(text).toContain(`'/srv/it'\\''s here/db_backup_1.dump'`);
    expect(manualRestoreCommand({ app, backup: { name: "../../etc/passwd", method: "dump", format: "custom" }, now })).toMatch(/^# No manual command/);
    expect(manualRestoreCommand({ app, backup: { name: 'x"; DROP DATABASE shop; --', method: "clone" }, now })).toMatch(/^# No manual command/);
  });

  it("sh() quotes anything a shell would interpret", () => {
    expect(sh("plain/path-1.dump")).toBe("plain/path-1.dump");
    expect(sh("$(id)")).toBe("'$(id)'");
    expect(sh("a'b")).toBe(`'a'\\''b'`);
    expect(sh("a b;c")).toBe("'a b;c'");
  });
});
