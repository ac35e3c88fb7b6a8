import fs from "node:fs/promises";
import path from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "@/lib/ops/exec";
import { adminSql, createScratchDb, pg, tmpDir } from "@/test/helpers";
import { createDemoReleases } from "./demo-releases";
import { freePort } from "./pg-cluster";

// The real demo app server (a release's server.mjs started by bin/appctl.mjs) against the test cluster,
// while an administrator ends its database sessions (what a failover or a swap's "end sessions" does).

let root: string;
let db: string;
let port: number;

async function get(pathName: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${pathName}`, { signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: await res.text() };
}

/** Ends every session the demo app holds on its database and waits until they are gone. */
async function endAppSessions(): Promise<number> {
  const sql = adminSql();
  try {
    const rows = await sql<{ ended: boolean }[]>`
      SELECT pg_terminate_backend(pid, 5000) AS ended FROM pg_stat_activity
      WHERE datname = ${db} AND application_name LIKE 'shop-%'`;
    return rows.length;
  } finally {
    await sql.end();
  }
}

beforeAll(async () => {
  db = await createScratchDb("demoapp");
  const p = pg();
  const sql = postgres(`postgres://${p.user}:${encodeURIComponent(p.password)}@${p.host}:${p.port}/${db}`, { onnotice: () => {}, max: 1 });
  await sql`CREATE TABLE settings (key text PRIMARY KEY, value text NOT NULL)`;
  await sql`INSERT INTO settings VALUES ('banner', 'still here')`;
  await sql.end();
  root = await tmpDir("demoapp");
  await createDemoReleases(root, ["r1"]);
  port = await freePort();
  await fs.writeFile(
    path.join(root, "bin", "app.env.json"),
    JSON.stringify({ PORT: String(port), PGHOST: p.host, PGPORT: String(p.port), PGUSER: p.user, PGPASSWORD: p.password, PGDATABASE: db }),
    { mode: 0o600 },
  );
  await run("node", [path.join(root, "bin", "appctl.mjs"), "start"]);
});

afterAll(async () => {
  if (root) await run("node", [path.join(root, "bin", "appctl.mjs"), "stop"]).catch(() => {});
});

describe("the demo app server when its database sessions are ended", () => {
  it("keeps running and answers the very next request on a new session, every time", async () => {
    const pid = (await get("/__pid")).body;
    expect(await get("/api")).toEqual({ status: 200, body: JSON.stringify({ release: "r1", banner: "still here" }) });
    for (const pathName of ["/api", "/health", "/", "/api", "/api"]) {
      expect(await endAppSessions()).toBeGreaterThan(0);
      const res = await get(pathName);
      expect(res.status, `${pathName}: ${res.body}`).toBe(200);
    }
    // Same process: it did not crash (appctl does not restart it).
    expect((await get("/__pid")).body).toBe(pid);
    const log = await fs.readFile(path.join(root, "run", "app.log"), "utf8");
    expect(log).not.toMatch(/ERR_HTTP_HEADERS_SENT|Unhandled|uncaught/i);
  });

  it("survives a session ended while its query runs, and answers the next request", async () => {
    const pid = (await get("/__pid")).body;
    // Hold a lock on settings so the app's query is in flight (waiting) when its session is ended.
    const admin = postgres((await import("@/test/helpers")).urlFor(db), { onnotice: () => {}, max: 1 });
    let inFlight: Promise<{ status: number; body: string }> | undefined;
    try {
      await admin.begin(async (tx) => {
        await tx`LOCK TABLE settings IN ACCESS EXCLUSIVE MODE`;
        inFlight = get("/api").catch((e: Error) => ({ status: 0, body: `request failed: ${e.message}` }));
        const waiting = async () =>
          (await tx`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = ${db} AND application_name LIKE 'shop-%' AND wait_event_type = 'Lock'`)[0]!.n;
        const deadline = Date.now() + 10_000;
        while ((await waiting()) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        expect(await waiting()).toBe(1);
        expect(await endAppSessions()).toBeGreaterThan(0);
      });
    } finally {
      await admin.end();
    }
    const first = await inFlight!;
    expect([200, 503], first.body).toContain(first.status);
    expect(await get("/api")).toEqual({ status: 200, body: JSON.stringify({ release: "r1", banner: "still here" }) });
    expect((await get("/__pid")).body).toBe(pid);
  });

  it("answers 503, without crashing, while the database refuses it, and recovers after", async () => {
    const pid = (await get("/__pid")).body;
    const admin = adminSql();
    try {
      await admin`ALTER DATABASE ${admin(db)} WITH ALLOW_CONNECTIONS false`;
      await endAppSessions();
      expect((await get("/api")).status).toBe(503);
      expect((await get("/health")).status).toBe(503);
      expect((await get("/")).body).toMatch(/database unavailable/);
    } finally {
      await admin`ALTER DATABASE ${admin(db)} WITH ALLOW_CONNECTIONS true`;
      await admin.end();
    }
    expect((await get("/api")).status).toBe(200);
    expect((await get("/__pid")).body).toBe(pid);
  });
});
