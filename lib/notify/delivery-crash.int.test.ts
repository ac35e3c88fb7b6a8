import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminSql, useMetaDb } from "@/test/helpers";
import { spawnWorker, type WorkerProc } from "@/test/fixtures/workers";
import { until } from "@/test/notify-receiver";

// A worker process delivering while its metadata sessions are terminated (pg_terminate_backend) mid-send: it
// must survive (an earlier version held a transaction across the send, and postgres.js then crashed the
// process writing to the closed socket) and the event still arrives — at least once, keyed by its event id.
process.env.LIFEBOAT_WORKER_INPROCESS = "0";
const got: string[] = [];
let server: http.Server;
let metaDb = "";
let worker: WorkerProc;

beforeAll(async () => {
  metaDb = new URL(await useMetaDb()).pathname.slice(1);
  server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c));
    req.on("end", () => {
      got.push(body);
      setTimeout(() => res.writeHead(200).end("ok"), 1500); // long enough to terminate sessions meanwhile
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  worker = await spawnWorker("notify-term", { LIFEBOAT_NOTIFY_RETRY_DELAY_S: "1" });
});

afterAll(async () => {
  await worker?.stop();
  server.closeAllConnections();
  server.close();
  await (await import("@/lib/db/client")).closeDb();
});

describe("delivery under pg_terminate_backend", () => {
  it("the worker survives and the event is delivered", async () => {
    const { apps } = await import("@/lib/db/schema");
    const db = (await import("@/lib/db/client")).getDb();
    const [a] = await db.insert(apps).values({ slug: "notify-term", dbHost: "127.0.0.1", dbUser: "x", dbName: "x", backupsDir: "/tmp" }).returning({ id: apps.id });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const ch = await (await import("@/lib/notify/channels")).addChannel({ kind: "webhook", name: "t", url, secret: "terminate-secret-terminate" }, null);
    const q = await import("@/lib/db/queries/notifications");
    await q.addRule({ channelId: ch.id, appId: a!.id, kind: "backup.failed" });
    const ev = await (await import("@/lib/events/emit")).emitAppEvent({ appId: a!.id, kind: "backup.failed", summary: "terminated mid-send" });

    await until("the first request", async () => got.length >= 1);
    const sql = adminSql();
    const killed = await sql`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${metaDb} and pid <> pg_backend_pid() and application_name like 'lifeboat%'`;
    await sql.end();
    expect(killed.length).toBeGreaterThan(0);

    const [d] = await until("delivered", async () => {
      // This process's own pooled sessions were terminated too: a failed read counts as "not yet".
      const rows = await q.listDeliveries({ channelIds: [ch.id] }).catch(() => []);
      return rows[0]?.status === "delivered" ? rows : null;
    }, 60_000);
    expect(d).toMatchObject({ eventId: ev, status: "delivered" });
    expect(worker.child.exitCode, worker.out()).toBeNull();
    expect(worker.child.signalCode).toBeNull();
    expect(new Set(got.map((b) => (JSON.parse(b) as { id: string }).id))).toEqual(new Set([`event-${ev}`]));
  });
});
