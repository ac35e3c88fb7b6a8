import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminSql, pg, tmpDir, uniqueName } from "@/test/helpers";
import { startPgBouncer, type PgBouncer } from "@/scripts/lib/pgbouncer";
import type { OpContext } from "./context";
import { waitFor } from "@/test/fixtures/workers";
import { checkPgBouncerConsole, connectAdmin, isPaused, pauseDatabase, type PgBouncerAdmin } from "./pgbouncer";
import { reconcileSwap, swapDatabases } from "./swap";
import type { TargetDb } from "./target";

// The swap through a real PgBouncer (transaction pooling) in front of the test cluster: clients that go
// through it see latency, not errors; a PAUSE that cannot complete changes nothing.
let admin: postgres.Sql;
let bouncer: PgBouncer;

const ctx = (steps: string[] = []): OpContext => ({ log: () => {}, phase: () => {}, progress: () => {}, step: async (s) => void steps.push(s) });

beforeAll(async () => {
  admin = adminSql();
  const p = pg();
  bouncer = await startPgBouncer({ dir: await tmpDir("pgbouncer"), server: { host: p.host, port: p.port, user: p.user, password: p.password } });
});
afterAll(async () => {
  await bouncer?.stop();
  await admin.end();
});

function consoleFor(database: string): PgBouncerAdmin {
  return { host: bouncer.info.host, port: bouncer.info.port, user: bouncer.info.adminUser, password: bouncer.info.adminPassword, database };
}

function targetFor(database: string): TargetDb {
  const p = pg();
  return { host: p.host, port: p.port, user: p.user, password: p.password, database, pgbouncer: consoleFor(database) };
}

/** A client of the app: through PgBouncer, transaction pooling (so no named prepared statements). */
function appClient(database: string, max = 4) {
  const p = pg();
  return postgres(bouncer.url(database, p.user, p.password), { max, prepare: false, onnotice: () => {}, connect_timeout: 10 });
}

async function makePair() {
  const live = uniqueName("pgb");
  const n = { live, staging: `${live}_staging_20260101_000000`, pre: `${live}_pre_rollback_20260101_000000` };
  for (const [db, value] of [[n.live, "old"], [n.staging, "new"]] as const) {
    await admin.unsafe(`CREATE DATABASE ${db}`);
    const s = adminSql(db);
    await s`CREATE TABLE settings (key text PRIMARY KEY, value text NOT NULL)`;
    await s`INSERT INTO settings VALUES ('banner', ${value})`;
    await s.end();
  }
  return n;
}

async function flags(names: string[]): Promise<Record<string, boolean>> {
  const rows = await admin<{ datname: string; datallowconn: boolean }[]>`SELECT datname, datallowconn FROM pg_database WHERE datname = ANY(${names}::text[])`;
  return Object.fromEntries(rows.map((r) => [r.datname, r.datallowconn]));
}

describe("swapDatabases through PgBouncer", () => {
  it("pauses, swaps and resumes: probes through PgBouncer see the old data, then the new, and never an error", async () => {
    const n = await makePair();
    const client = appClient(n.live);
    const errors: string[] = [];
    const seen: string[] = [];
    let stop = false;
    const probe = async () => {
      while (!stop) {
        try {
          const [row] = await client`SELECT value FROM settings WHERE key = 'banner'`;
          if (seen.at(-1) !== row!.value) seen.push(row!.value);
        } catch (e) {
          errors.push((e as Error).message);
        }
      }
    };
    const loops = [probe(), probe(), probe()];
    while (!seen.includes("old")) await new Promise((r) => setTimeout(r, 10));
    const steps: string[] = [];
    const r = await swapDatabases({ target: targetFor(n.live), live: n.live, staging: n.staging, preRollbackName: n.pre, ctx: ctx(steps) });
    const deadline = Date.now() + 10_000;
    while (!seen.includes("new") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    stop = true;
    await Promise.all(loops);
    await client.end();
    expect(errors).toEqual([]);
    expect(seen).toEqual(["old", "new"]);
    expect(steps).toEqual(["swap:pause", "swap:disallow", "swap:rename"]);
    expect(r.pausedMs).not.toBeNull();
    expect(await isPaused(consoleFor(n.live))).toBe(false);
    expect(await flags([n.live, n.staging, n.pre])).toEqual({ [n.live]: true, [n.pre]: false });
  });

  it("a PAUSE that cannot complete (a transaction left open through PgBouncer) changes nothing and is taken back", async () => {
    const n = await makePair();
    const holder = appClient(n.live, 1);
    const tx = await holder.reserve();
    await tx`BEGIN`;
    await tx`SELECT value FROM settings`;
    const steps: string[] = [];
    const err = await swapDatabases({
      target: targetFor(n.live),
      live: n.live,
      staging: n.staging,
      preRollbackName: n.pre,
      pauseTimeoutMs: 1000,
      ctx: ctx(steps),
    }).catch((e) => e);
    expect(err).toMatchObject({ code: "pgbouncer_busy", message: expect.stringContaining("Nothing was changed") });
    expect(steps).toEqual(["swap:pause"]);
    expect(await isPaused(consoleFor(n.live))).toBe(false);
    expect(await flags([n.live, n.staging, n.pre])).toEqual({ [n.live]: true, [n.staging]: true });
    // The open transaction goes on, and other clients are served as before.
    await tx`UPDATE settings SET value = 'kept' WHERE key = 'banner'`;
    await tx`COMMIT`;
    tx.release();
    const other = appClient(n.live, 1);
    expect((await other`SELECT value FROM settings`)[0]!.value).toBe("kept");
    await other.end();
    await holder.end();
  });

  it("recovery resumes a PAUSE that was still waiting when its job died, and the held transaction is untouched", async () => {
    const n = await makePair();
    const holder = appClient(n.live, 1);
    const tx = await holder.reserve();
    await tx`BEGIN`;
    await tx`SELECT value FROM settings`;
    // The dead job: its PAUSE sent and waiting (the open transaction holds it back), its connection gone.
    const b = consoleFor(n.live);
    const dead = postgres({ host: b.host, port: b.port, user: b.user, password: b.password, database: "pgbouncer", max: 1, fetch_types: false, prepare: false });
    void dead.unsafe(`PAUSE ${n.live}`).simple().catch(() => {});
    await new Promise((r) => setTimeout(r, 300));
    await dead.end({ timeout: 0 });
    expect(await isPaused(b)).toBe(true);
    const other = appClient(n.live, 1);
    let answered = false;
    const waiting = other`SELECT 1`.then(() => (answered = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(answered).toBe(false);
    const journal = [{ step: "swap:pause", detail: { host: b.host, port: b.port, database: n.live } }];
    const r = await reconcileSwap(journal, { target: targetFor(n.live) });
    expect(r.decisions).toContain(`resumed ${n.live} on PgBouncer ${b.host}:${b.port} (the job had paused it)`);
    await waiting;
    expect(await isPaused(b)).toBe(false);
    await tx`COMMIT`;
    tx.release();
    await Promise.all([holder.end(), other.end()]);
  });

  it("the settings check: the console answers and lists the database; a wrong password is refused with the reason", async () => {
    const n = await makePair();
    const c = appClient(n.live, 1);
    await c`SELECT 1`;
    expect(await checkPgBouncerConsole(consoleFor(n.live))).toMatch(/answers and knows/);
    expect(await checkPgBouncerConsole(consoleFor("never_connected_db"))).toMatch(/does not list never_connected_db/);
    await expect(checkPgBouncerConsole({ ...consoleFor(n.live), password: "wrong" })).rejects.toMatchObject({ code: "pgbouncer_unreachable" });
    await c.end();
  });

  it("the settings check knows a wildcard database that SHOW DATABASES has moved to PgBouncer's idle list (CI saw it)", async () => {
    const n = await makePair();
    const c = appClient(n.live, 1);
    await c`SELECT 1`;
    await c.end();
    // No client and no server connection left: the next maintenance pass moves the auto database to the idle list.
    const adminConsole = connectAdmin(consoleFor(n.live));
    try {
      // Its idle server connection closed; the pool itself stays (as it does for a client still logging in).
      await adminConsole.unsafe(`RECONNECT ${n.live}`).simple();
    } finally {
      await adminConsole.end();
    }
    await waitFor(async () => (await isPaused(consoleFor(n.live))) === null, 20_000, () => `${n.live} stayed in SHOW DATABASES`);
    expect(await checkPgBouncerConsole(consoleFor(n.live))).toMatch(/answers and knows .*SHOW DATABASES omits it/);
    // And a swap's PAUSE finds it (PgBouncer looks it up by name, which moves it back).
    const paused = await pauseDatabase(consoleFor(n.live), 5000);
    expect(await paused.resume()).toMatchObject({ ok: true, state: "resumed" });
  });
});
