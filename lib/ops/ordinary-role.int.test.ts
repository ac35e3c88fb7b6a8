import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminSql, createScratchDb, pg, tmpDir, uniqueName } from "@/test/helpers";
import { createOrdinaryRole, keepAutovacuumBusy, recordingContext, relaxAutovacuum, waitForAutovacuum, type OrdinaryRole } from "@/test/ordinary-role";
import { cloneDatabase, listSessions } from "./clone";
import { dropDatabaseIfExists } from "./db-admin";
import { dumpDatabase } from "./dump";
import { clientToolFor } from "./pg-bin";
import { restoreDumpToNewDatabase, tableFingerprint } from "./restore";
import { swapDatabases } from "./swap";

// Lifeboat run as an ordinary role (CREATEDB, owner of the app's database, no pg_read_all_stats) while
// autovacuum works in the live and in the staging database. Such a role sees other roles' sessions with
// backend_type NULL, so an autovacuum worker looks like any session: it must neither block nor be "ended".

let live: string;
let me: OrdinaryRole;
let tools: { pgDump: string; pgRestore: string; psql: string };

beforeAll(async () => {
  live = await createScratchDb("ordlive");
  me = await createOrdinaryRole([live]);
  const sql = adminSql(live);
  try {
    await sql.unsafe(`CREATE TABLE customers (id int PRIMARY KEY, name text)`);
    await sql.unsafe(`INSERT INTO customers SELECT g, 'c' || g FROM generate_series(1, 200) g`);
    await sql.unsafe(`ALTER TABLE customers OWNER TO ${me.role}`);
  } finally {
    await sql.end();
  }
  await keepAutovacuumBusy(live, me.role);
  const major = pg().major;
  tools = { pgDump: await clientToolFor("pg_dump", major), pgRestore: await clientToolFor("pg_restore", major), psql: await clientToolFor("psql", major) };
});

afterAll(async () => {
  await relaxAutovacuum();
});

describe("autovacuum never blocks an ordinary role", () => {
  it("an autovacuum worker is not a session in the way", async () => {
    await waitForAutovacuum(live);
    const { count, sessions } = await listSessions(me.target(live), live);
    expect(sessions).toEqual([]);
    expect(count).toBe(0);
  });

  it("clone backups work while autovacuum runs, with and without ending sessions", async () => {
    for (const endSessions of [false, true]) {
      await waitForAutovacuum(live);
      const cloneName = uniqueName("ordclone");
      const { ctx, logs } = recordingContext();
      const r = await cloneDatabase({ target: me.target(live), source: live, cloneName, strategy: "wal_log", endSessions, ctx });
      expect(r.sizeBytes).toBeGreaterThan(0);
      expect(logs.join("\n")).not.toMatch(/ending \d+ session/);
      expect((await tableFingerprint(me.target(live), cloneName)).find((t) => t.table.endsWith("customers"))?.rows).toBe(200);
    }
  });

  it("a dump restore and the swap work while autovacuum runs in the live and in the staging database", async () => {
    const dir = await tmpDir("orddump");
    const t = me.target(live);
    const { ctx } = recordingContext();
    const dump = await dumpDatabase({ target: t, pgDump: tools.pgDump, pgRestore: tools.pgRestore, dir, fileName: "ord.dump", format: "custom", ctx });
    const staging = `${live}_staging_20260101_000000`;
    await restoreDumpToNewDatabase({ target: t, ...tools, file: dump.path, format: "custom", sha256: dump.sha256, newDb: staging, ctx });
    // Both databases now have an autovacuum worker (the restored table keeps its reloptions).
    await waitForAutovacuum(staging);
    await waitForAutovacuum(live);
    const pre = `${live}_pre_rollback_20260101_000000`;
    const r = await swapDatabases({ target: t, live, staging, preRollbackName: pre, ctx });
    expect(r.terminated).toBe(0);
    const names = await dbNames([live, staging, pre]);
    expect(names).toEqual([live, pre].sort());
  });
});

describe("dropping a staging database while autovacuum works in it", () => {
  it("an ordinary role drops it (DROP … WITH (FORCE) would refuse to end the autovacuum worker)", async () => {
    const staging = `${live}_staging_20260101_000001`;
    const sql = adminSql();
    await sql.unsafe(`CREATE DATABASE ${staging} OWNER ${me.role}`);
    await sql.end();
    await keepAutovacuumBusy(staging, me.role);
    await waitForAutovacuum(staging);
    expect(await dropDatabaseIfExists(me.target(live), staging, { force: true })).toBe(true);
    expect(await dbNames([staging])).toEqual([]);
  });
});

describe("ending only sessions this role may end", () => {
  it("leaves another role's session alone and says how to get it ended; the live database accepts connections again", async () => {
    const other = await createOrdinaryRole();
    const sql = adminSql(live);
    await sql.unsafe(`GRANT CONNECT ON DATABASE ${live} TO ${other.role}`);
    await sql.end();
    const theirs = postgres({ ...other.target(live), max: 1, onnotice: () => {} });
    const [{ pid }] = await theirs<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
    try {
      const seen = await listSessions(me.target(live), live);
      expect(seen.sessions.map((x) => ({ pid: x.pid, mayEnd: x.mayEnd }))).toEqual([{ pid, mayEnd: false }]);
      const { ctx } = recordingContext();
      const err = await cloneDatabase({ target: me.target(live), source: live, cloneName: uniqueName("ordclone"), strategy: "wal_log", endSessions: true, terminateTimeoutMs: 300, ctx }).catch((e) => e);
      expect(err).toMatchObject({ code: "not_allowed", message: expect.stringContaining(`GRANT pg_signal_backend TO "${me.role}"`) });
      expect(err.message).toContain(`pid ${pid} (${other.role})`);
      await theirs`SELECT 1`; // still connected: never signalled
      expect(await dbAllows(live)).toBe(true);
    } finally {
      await theirs.end({ timeout: 1 });
    }
  });
});

async function dbAllows(name: string): Promise<boolean | undefined> {
  const sql = adminSql();
  try {
    return (await sql<{ a: boolean }[]>`SELECT datallowconn AS a FROM pg_database WHERE datname = ${name}`)[0]?.a;
  } finally {
    await sql.end();
  }
}

async function dbNames(names: string[]): Promise<string[]> {
  const sql = adminSql();
  try {
    return (await sql<{ n: string }[]>`SELECT datname AS n FROM pg_database WHERE datname = ANY(${names}) ORDER BY 1`).map((r) => r.n);
  } finally {
    await sql.end();
  }
}
