import fs from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { freePort } from "@/scripts/lib/pg-cluster";
import { createScratchDb, pg, target, tmpDir } from "@/test/helpers";
import { probeServer } from "./server-info";

describe("probeServer", () => {
  it("reports version, privileges, size and matching client tools", async () => {
    const db = await createScratchDb("probe");
    const info = await probeServer(target(db));
    expect(info.major).toBe(pg().major);
    expect(info.versionNum).toBeGreaterThanOrEqual(pg().major * 10000);
    expect(info.version).toMatch(new RegExp(`^${pg().major}\\.`));
    expect(info.isSuperuser).toBe(true);
    expect(info.canCreateDb).toBe(true);
    expect(info.dbSizeBytes).toBeGreaterThan(1_000_000);
    expect(info.supportsFileCopy).toBe(info.major >= 15);
    for (const [p, tool] of [[info.pgDumpPath, "pg_dump"], [info.pgRestorePath, "pg_restore"], [info.psqlPath, "psql"]] as const) {
      expect(path.basename(p)).toBe(tool);
      await expect(fs.access(p)).resolves.toBeUndefined();
    }
  });

  it("says the password is wrong, without showing it", async () => {
    const err = await probeServer({ ...target("postgres"), password: "not-the-password-42" }).catch((e) => e);
    expect(err.code).toBe("auth_failed");
    expect(err.message).toBe(`password authentication failed for user "postgres" on ${pg().host}:${pg().port}: check the user and password.`);
    expect(JSON.stringify({ m: err.message, d: err.details })).not.toContain("not-the-password-42");
  });

  it("says nothing is listening on a closed port", async () => {
    const port = await freePort();
    const err = await probeServer({ ...target("postgres"), port }).catch((e) => e);
    expect(err.code).toBe("unreachable");
    expect(err.message).toContain(`nothing is listening on 127.0.0.1:${port}`);
  });

  it("says the database does not exist", async () => {
    const err = await probeServer(target("no_such_database")).catch((e) => e);
    expect(err.code).toBe("db_missing");
    expect(err.message).toBe(`database "no_such_database" does not exist on ${pg().host}:${pg().port}: check the database name.`);
  });

  it("says clearly when the only pg_dump is older than the server", async () => {
    // A bin directory whose programs report an older major: pg-bin decides from `pg_dump --version`.
    const dir = await tmpDir("oldbin");
    for (const tool of ["pg_dump", "pg_restore", "psql"]) {
      await fs.writeFile(path.join(dir, tool), `#!/bin/sh\necho "${tool} (PostgreSQL) ${pg().major - 1}.9"\n`, { mode: 0o755 });
    }
    const err = await probeServer(target("postgres"), dir).catch((e) => e);
    expect(err.code).toBe("pg_dump_too_old");
    expect(err.message).toContain(`The server runs PostgreSQL ${pg().major}`);
    expect(err.message).toContain(`postgresql-client-${pg().major}`);
  });
});
