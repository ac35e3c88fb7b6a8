import postgres from "postgres";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { seedShop } from "@/scripts/lib/seed-shop";
import { adminSql, createScratchDb, target, uniqueName, urlFor } from "@/test/helpers";
import { cloneDbName, isBackupOf } from "./backup-names";
import { cloneDatabase, listSessions } from "./clone";
import { allowConnections, dropDatabaseIfExists } from "./db-admin";
import type { OpContext } from "./context";
import { dropCloneBackup } from "./delete-backup";
import { OpError } from "./errors";
import { tableFingerprint } from "./restore";
import { listCloneBackupsOnServer } from "./server-backups";

// CREATE DATABASE … TEMPLATE for real: sessions held open by other clients, ALLOW_CONNECTIONS, names.

function recorder(onStep?: (name: string, detail?: Record<string, unknown>) => void | Promise<void>) {
  const steps: string[] = [];
  const logs: string[] = [];
  const ctx: OpContext = {
    log: (l) => logs.push(l),
    phase: () => {},
    progress: () => {},
    step: async (name, detail) => {
      steps.push(name);
      await onStep?.(name, detail);
    },
  };
  return { ctx, steps, logs };
}

const holders: postgres.Sql[] = [];
/** Opens `n` sessions on db and keeps them until the test ends (like an app's pool). */
async function holdSessions(db: string, n: number): Promise<postgres.Sql[]> {
  const out: postgres.Sql[] = [];
  for (let i = 0; i < n; i++) {
    const sql = postgres(urlFor(db), { max: 1, onnotice: () => {}, connection: { application_name: "the_app" } });
    await sql`SELECT 1`;
    holders.push(sql);
    out.push(sql);
  }
  return out;
}

afterEach(async () => {
  await Promise.all(holders.splice(0).map((h) => h.end({ timeout: 1 }).catch(() => {})));
});

async function q<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
  const sql = adminSql();
  try {
    return (await sql.unsafe(text, params as never[])) as unknown as T[];
  } finally {
    await sql.end();
  }
}
const allows = async (db: string) => (await q<{ a: boolean }>("SELECT datallowconn AS a FROM pg_database WHERE datname = $1", [db]))[0]?.a;
const exists = async (db: string) => (await q("SELECT 1 FROM pg_database WHERE datname = $1", [db])).length > 0;
const taken = (name: string) => exists(name);

let source: string;
beforeAll(async () => {
  source = await createScratchDb("clonesrc");
  const sql = adminSql(source);
  await seedShop(sql, { customers: 200, orders: 500 });
  await sql.end();
});

describe("cloneDatabase", () => {
  for (const strategy of ["file_copy", "wal_log"] as const) {
    it(`makes an identical copy (${strategy})`, async () => {
      const cloneName = await cloneDbName(source, new Date(), taken);
      const { ctx, steps } = recorder();
      const r = await cloneDatabase({ target: target(source), source, cloneName, strategy, endSessions: false, ctx });
      expect(r.sizeBytes).toBeGreaterThan(0);
      expect(steps).toEqual(["clone:creating", "clone:created"]);
      expect(await tableFingerprint(target(source), cloneName)).toEqual(await tableFingerprint(target(source), source));
      expect(isBackupOf(source, cloneName)).toBe(true);
    });
  }

  it("refuses with db_busy and the session count when others are connected, before trying", async () => {
    await holdSessions(source, 2);
    expect((await listSessions(target(source), source)).count).toBe(2);
    const cloneName = uniqueName("never");
    const { ctx, steps } = recorder();
    const err = await cloneDatabase({ target: target(source), source, cloneName, strategy: "file_copy", endSessions: false, ctx }).catch((e) => e);
    expect(err).toBeInstanceOf(OpError);
    expect(err.code).toBe("db_busy");
    expect(err.details.sessions).toBe(2);
    expect(err.message).toBe(`database "${source}" is being accessed by 2 other sessions; stop the app or choose "End sessions and clone"`);
    expect(steps).toEqual([]);
    expect(await exists(cloneName)).toBe(false);
    expect(await allows(source)).toBe(true);
    // The sessions were left alone.
    for (const h of holders) expect((await h`SELECT 1 AS one`)[0]?.one).toBe(1);
  });

  it("with endSessions: locks new connections out, ends the sessions, clones, and lets connections back in", async () => {
    const [a] = await holdSessions(source, 3);
    const sessions = await listSessions(target(source), source);
    expect(sessions.sessions.map((s) => s.applicationName)).toEqual(["the_app", "the_app", "the_app"]);
    const cloneName = await cloneDbName(source, new Date(), taken);
    let duringClone: { allowed?: boolean; connectError?: string } = {};
    const { ctx, steps } = recorder(async (step) => {
      if (step === "clone:creating") {
        duringClone.allowed = await allows(source);
        const probe = postgres(urlFor(source), { max: 1, onnotice: () => {} });
        duringClone.connectError = await probe`SELECT 1`.then(() => "connected", (e: Error) => e.message);
        await probe.end({ timeout: 1 }).catch(() => {});
      }
    });
    await cloneDatabase({ target: target(source), source, cloneName, strategy: "file_copy", endSessions: true, ctx });
    expect(steps).toEqual(["clone:disallowed", "clone:creating", "clone:created"]);
    expect(duringClone.allowed).toBe(false);
    expect(duringClone.connectError).toMatch(/not currently accepting connections/);
    expect(await exists(cloneName)).toBe(true);
    expect(await allows(source)).toBe(true);
    expect((await listSessions(target(source), source)).count).toBe(0);
    // The app's pool reconnects afterwards.
    await expect(a!`SELECT 1 AS ok`).resolves.toEqual([{ ok: 1 }]);
  });

  it("always lets connections back in when the clone fails (name taken between check and CREATE)", async () => {
    await holdSessions(source, 1);
    const cloneName = uniqueName("clash");
    const { ctx } = recorder(async (step) => {
      // Someone else takes the name after the pre-check: CREATE DATABASE itself fails.
      if (step === "clone:creating") await q(`CREATE DATABASE ${cloneName}`);
    });
    const err = await cloneDatabase({ target: target(source), source, cloneName, strategy: "file_copy", endSessions: true, ctx }).catch((e) => e);
    expect(err.code).toBe("clone_exists");
    expect(await allows(source)).toBe(true);
    // That database is not ours: it must survive the failure.
    expect(await exists(cloneName)).toBe(true);
  });

  it("refuses an existing clone name up front and leaves it untouched", async () => {
    const cloneName = await createScratchDb("existing");
    const err = await cloneDatabase({ target: target(source), source, cloneName, strategy: "file_copy", endSessions: true, ctx: recorder().ctx }).catch((e) => e);
    expect(err.code).toBe("clone_exists");
    expect(await exists(cloneName)).toBe(true);
    expect(await allows(source)).toBe(true);
  });

  it("maps a missing source and a role without CREATEDB to operator messages", async () => {
    const missing = await cloneDatabase({ target: target(source), source: "no_such_db_here", cloneName: uniqueName("x"), strategy: "file_copy", endSessions: false, ctx: recorder().ctx }).catch((e) => e);
    expect(missing.code).toBe("db_missing");

    const role = uniqueName("nocreatedb");
    await q(`CREATE ROLE ${role} LOGIN PASSWORD 'pw_${role}'`);
    const t = { ...target(source), user: role, password: `pw_${role}` };
    const err = await cloneDatabase({ target: t, source, cloneName: uniqueName("x"), strategy: "file_copy", endSessions: false, ctx: recorder().ctx }).catch((e) => e);
    expect(err.code).toBe("no_createdb");
    expect(err.message).toContain(`ALTER USER "${role}" CREATEDB;`);
    expect(err.message).not.toContain(`pw_${role}`);
  });

  it("makes unique names for the same second, and they all exist side by side", async () => {
    const now = new Date("2026-03-01T12:00:00Z");
    const first = await cloneDbName(source, now, taken);
    await cloneDatabase({ target: target(source), source, cloneName: first, strategy: "file_copy", endSessions: false, ctx: recorder().ctx });
    const second = await cloneDbName(source, now, taken);
    expect(second).toBe(`${first}_2`);
    await cloneDatabase({ target: target(source), source, cloneName: second, strategy: "file_copy", endSessions: false, ctx: recorder().ctx });
    expect(await exists(first)).toBe(true);
    expect(await exists(second)).toBe(true);
  });

  it("clones a database whose name leaves no room for the timestamp, without truncation", async () => {
    const longDb = `lb_${"long".repeat(14)}`.slice(0, 60);
    await q(`CREATE DATABASE ${longDb} TEMPLATE ${source}`);
    const now = new Date("2026-03-01T12:00:00Z");
    const name = await cloneDbName(longDb, now, taken);
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(63);
    await cloneDatabase({ target: target(longDb), source: longDb, cloneName: name, strategy: "file_copy", endSessions: false, ctx: recorder().ctx });
    // The name on the server is exactly the one we chose (PostgreSQL did not cut it).
    expect(await exists(name)).toBe(true);
    const second = await cloneDbName(longDb, now, taken);
    expect(second).not.toBe(name);
    await cloneDatabase({ target: target(longDb), source: longDb, cloneName: second, strategy: "file_copy", endSessions: false, ctx: recorder().ctx });
    const found = (await listCloneBackupsOnServer(target(longDb), longDb)).map((f) => f.name);
    expect(found.sort()).toEqual([name, second].sort());
  });
});

describe("recovery helpers", () => {
  it("allowConnections re-enables a database left refusing connections", async () => {
    const db = await createScratchDb("locked");
    await q(`ALTER DATABASE ${db} WITH ALLOW_CONNECTIONS false`);
    await allowConnections(target(db), db);
    expect(await allows(db)).toBe(true);
  });

  it("dropDatabaseIfExists refuses the live database and the server's own", async () => {
    const live = await createScratchDb("live");
    await expect(dropDatabaseIfExists(target(live), live)).rejects.toMatchObject({ code: "refused" });
    await expect(dropDatabaseIfExists(target(live), "template1")).rejects.toMatchObject({ code: "reserved_db" });
    await expect(dropDatabaseIfExists(target(live), "postgres")).rejects.toMatchObject({ code: "reserved_db" });
    expect(await exists(live)).toBe(true);
    const staging = await createScratchDb("staging");
    expect(await dropDatabaseIfExists(target(live), staging)).toBe(true);
    expect(await dropDatabaseIfExists(target(live), staging)).toBe(false);
  });
});

describe("dropCloneBackup", () => {
  it("refuses the live database and names that are not its backups", async () => {
    const live = await createScratchDb("dlive");
    const foreign = await createScratchDb("foreign");
    const otherAppsBackup = `${foreign}_backup_20260101_000000`;
    await q(`CREATE DATABASE ${otherAppsBackup}`);
    await expect(dropCloneBackup(target(live), live, live)).rejects.toMatchObject({ code: "refused" });
    await expect(dropCloneBackup(target(live), live, foreign)).rejects.toMatchObject({ code: "not_a_backup" });
    await expect(dropCloneBackup(target(live), live, otherAppsBackup)).rejects.toMatchObject({ code: "not_a_backup" });
    await expect(dropCloneBackup(target(live), live, "postgres")).rejects.toMatchObject({ code: "not_a_backup" });
    await expect(dropCloneBackup(target(live), live, `${live}_backup_x; DROP DATABASE ${live}`)).rejects.toMatchObject({ code: "invalid_identifier" });
    for (const db of [live, foreign, otherAppsBackup]) expect(await exists(db)).toBe(true);
  });

  it("refuses a backup with sessions unless told to end them, then drops it", async () => {
    const live = await createScratchDb("dlive");
    const backup = `${live}_backup_20260101_000000`;
    await q(`CREATE DATABASE ${backup}`);
    await holdSessions(backup, 1);
    const err = await dropCloneBackup(target(live), live, backup).catch((e) => e);
    expect(err.code).toBe("db_busy");
    expect(err.details.sessions).toBe(1);
    expect(await exists(backup)).toBe(true);
    expect(await dropCloneBackup(target(live), live, backup, { endSessions: true })).toBe(true);
    expect(await exists(backup)).toBe(false);
    expect(await dropCloneBackup(target(live), live, backup)).toBe(false);
  });
});
