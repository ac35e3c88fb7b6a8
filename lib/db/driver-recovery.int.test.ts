import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminSql, createScratchDb, urlFor } from "@/test/helpers";

// The driver every Lifeboat process talks to PostgreSQL with (postgres.js 3.4.9) lost track of sessions the
// server ended: it replayed the ended session's error onto the next query, threw an uncaught TypeError (the
// process died) when a transaction's ROLLBACK was written to the closed socket, and let a transaction's later
// statements run on the next session, outside the transaction. scripts/patch-deps.mjs fixes it at `npm ci`;
// these tests hold the fix to its promise against a real server. An uncaught exception fails the run.
let db: string;
const admin = () => adminSql();
const client = (app: string) => postgres(urlFor(db), { max: 1, onnotice: () => {}, connection: { application_name: app } });

/** Ends the sessions of `app` and waits until they are gone. */
async function endSessions(app: string): Promise<number> {
  const sql = admin();
  try {
    const rows = await sql`SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE datname = ${db} AND application_name = ${app}`;
    return rows.length;
  } finally {
    await sql.end();
  }
}

/** Waits until `app` runs pg_sleep on the server. */
async function sleeping(app: string): Promise<void> {
  const watch = admin();
  try {
    for (let i = 0; i < 400; i++) {
      const [row] = await watch`SELECT count(*)::int AS n FROM pg_stat_activity
                                WHERE datname = ${db} AND application_name = ${app} AND state = 'active' AND query LIKE 'SELECT pg_sleep%'`;
      if (row!.n > 0) return;
      await new Promise((r) => setTimeout(r, 25));
    }
  } finally {
    await watch.end();
  }
  throw new Error(`${app} never started its query`);
}

const settle = <T,>(p: PromiseLike<T>): Promise<T | Error> => Promise.resolve(p).then((v) => v, (e: Error) => e);

async function markers(): Promise<string[]> {
  const sql = adminSql(db);
  try {
    return (await sql<{ tag: string }[]>`SELECT tag FROM marks ORDER BY tag`).map((r) => r.tag);
  } finally {
    await sql.end();
  }
}

beforeAll(async () => {
  db = await createScratchDb("driver");
  const sql = adminSql(db);
  await sql`CREATE TABLE marks (tag text)`;
  await sql.end();
});

afterAll(async () => {
  const sql = admin();
  await sql.unsafe(`ALTER DATABASE ${db} WITH ALLOW_CONNECTIONS true`);
  await sql.end();
});

describe("postgres.js after the server ends a session", () => {
  it("mid-query: the query is refused, and the next query on that connection gets its own answer", async () => {
    const sql = client("mid-query");
    try {
      const p = settle(sql`SELECT pg_sleep(30)`);
      await sleeping("mid-query");
      expect(await endSessions("mid-query")).toBe(1);
      expect(String(await p)).toMatch(/CONNECTION_CLOSED|terminating connection/);
      expect((await sql`SELECT 41 + 1 AS n`)[0]!.n).toBe(42);
      expect((await sql`SELECT current_database() AS d`)[0]!.d).toBe(db);
    } finally {
      await sql.end({ timeout: 5 });
    }
  });

  it("during an outage: a query sent while the database refuses connections answers once it accepts them", async () => {
    const sql = client("outage");
    const a = admin();
    try {
      const p = settle(sql`SELECT pg_sleep(30)`);
      await sleeping("outage");
      await a.unsafe(`ALTER DATABASE ${db} WITH ALLOW_CONNECTIONS false`);
      await endSessions("outage");
      await p;
      const next = settle(sql`SELECT 7 AS n`);
      await new Promise((r) => setTimeout(r, 1500)); // tried and refused meanwhile
      await a.unsafe(`ALTER DATABASE ${db} WITH ALLOW_CONNECTIONS true`);
      const got = await next;
      // Refused while the database refused connections is an honest answer; an old error is not.
      if (got instanceof Error) expect(got.message).toMatch(/not currently accepting connections/);
      else expect(got[0]!.n).toBe(7);
      expect((await sql`SELECT 8 AS n`)[0]!.n).toBe(8);
    } finally {
      await a.unsafe(`ALTER DATABASE ${db} WITH ALLOW_CONNECTIONS true`);
      await a.end();
      await sql.end({ timeout: 5 });
    }
  });

  it("inside sql.begin(): the transaction fails, its later statements never run elsewhere, nothing commits, the process lives", async () => {
    const sql = client("begin");
    try {
      const tx = settle(
        sql.begin(async (t) => {
          await t`INSERT INTO marks VALUES ('begin-before')`;
          // The caller swallows the error and carries on, as careless code does.
          await t`SELECT pg_sleep(30)`.catch(() => {});
          await t`INSERT INTO marks VALUES ('begin-after')`;
        }),
      );
      await sleeping("begin");
      // A query queued on the pool meanwhile: the pool reopens the connection for it.
      const queued = settle(sql`SELECT 5 AS n`);
      await endSessions("begin");
      expect(String(await tx)).toMatch(/CONNECTION_CLOSED|terminating connection/);
      const q = await queued;
      expect(q instanceof Error ? q.message : q[0]!.n).toBe(5);
      expect((await sql`SELECT 6 AS n`)[0]!.n).toBe(6);
      expect(await markers()).toEqual([]);
    } finally {
      await sql.end({ timeout: 5 });
    }
  });

  it("a reserved connection: its later statements are refused, never sent on another session; the pool answers after release", async () => {
    const sql = client("reserved");
    try {
      const r = await sql.reserve();
      await r`BEGIN`;
      await r`INSERT INTO marks VALUES ('reserved')`;
      const p = settle(r`SELECT pg_sleep(30)`);
      await sleeping("reserved");
      await endSessions("reserved");
      expect(String(await p)).toMatch(/CONNECTION_CLOSED|terminating connection/);
      const commit = await settle(r`COMMIT`);
      expect(commit).toBeInstanceOf(Error);
      expect(String(commit)).toMatch(/CONNECTION_CLOSED|terminating connection/);
      r.release();
      expect((await sql`SELECT 9 AS n`)[0]!.n).toBe(9);
      expect(await markers()).toEqual([]);
    } finally {
      await sql.end({ timeout: 5 });
    }
  });
});
