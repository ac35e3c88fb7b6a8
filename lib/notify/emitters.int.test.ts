import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setupShopApp, type ShopApp } from "@/test/fixtures/rollback-app";
import { adminSql, useMetaDb } from "@/test/helpers";
import { receiver, until, type Receiver } from "@/test/notify-receiver";

// The code that existed before notifications emits its events (lib/events/emit.ts), and a rule carries them
// to a webhook: real jobs on the in-process worker against a real app (r2's /health answers 500).
process.env.LIFEBOAT_NOTIFY_RETRY_DELAY_S = "1";
// The worker's own probe stays out of the way of the probe test below.
process.env.LIFEBOAT_APP_PROBE_MS = "600000";

let shop: ShopApp;
let hook: Receiver;
let metaDb: string;
let m: {
  apps: typeof import("@/lib/db/queries/apps");
  jobs: typeof import("@/lib/jobs");
  admin: typeof import("@/lib/jobs/backup-admin");
  backups: typeof import("@/lib/db/queries/backups");
  probe: typeof import("@/lib/jobs/app-probe");
  q: typeof import("@/lib/db/queries/notifications");
  channels: typeof import("@/lib/notify/channels");
  client: typeof import("@/lib/db/client");
};
const app = async () => (await m.apps.getAppById(shop.appId))!;

async function eventsSince(id: number) {
  const sql = m.client.getDb().$client;
  return sql<{ id: number; kind: string; summary: string; job_id: number | null }[]>`select id, kind, summary, job_id from app_events where app_id = ${shop.appId} and id > ${id} order by id`;
}
async function lastEventId(): Promise<number> {
  const sql = m.client.getDb().$client;
  const [r] = await sql<{ id: number | null }[]>`select max(id)::int as id from app_events`;
  return r?.id ?? 0;
}
const kindsOf = (evs: { kind: string }[]) => evs.map((e) => e.kind);

beforeAll(async () => {
  const url = await useMetaDb();
  metaDb = new URL(url).pathname.slice(1);
  m = {
    apps: await import("@/lib/db/queries/apps"),
    jobs: await import("@/lib/jobs"),
    admin: await import("@/lib/jobs/backup-admin"),
    backups: await import("@/lib/db/queries/backups"),
    probe: await import("@/lib/jobs/app-probe"),
    q: await import("@/lib/db/queries/notifications"),
    channels: await import("@/lib/notify/channels"),
    client: await import("@/lib/db/client"),
  };
  shop = await setupShopApp({ slug: "shop-ev", releases: ["r1", "r2", "r3"], unhealthy: ["r2"], healthTimeoutSec: 2 });
  hook = await receiver();
  const { id } = await m.channels.addChannel({ kind: "webhook", name: "all", url: hook.url, secret: "emitters-secret-emitters-secret" }, null);
  for (const kind of ["rollback.started", "rollback.finished", "rollback.failed", "health.failed", "backup.failed", "backup.tampered", "app.down", "app.up"] as const) {
    await m.q.addRule({ channelId: id, appId: null, kind });
  }
});

afterAll(async () => {
  await shop?.appctl("stop").catch(() => {});
  await hook?.close();
  await m?.client.closeDb();
});

describe("events of existing code", () => {
  it("a release switch that fails its health check: started, health failed, failed; its automatic undo: started, finished", async () => {
    const from = await lastEventId();
    const { jobId, done } = await m.jobs.startSwitchRelease({ app: await app(), release: "r2", actor: "oncall" });
    expect((await done).status).toBe("failed");
    const evs = await until("the undo's events", async () => {
      const e = await eventsSince(from);
      return e.some((x) => x.kind === "rollback.finished") ? e : null;
    }, 60_000);
    const own = evs.filter((e) => e.job_id === jobId);
    expect(kindsOf(own)).toEqual(["rollback.started", "health.failed", "rollback.failed"]);
    expect(own[2]!.summary).toMatch(/Release switch of shop-ev .*r3 → r2.* failed: .*Health policy of shop-ev: undo/);
    const undo = evs.filter((e) => e.job_id !== jobId);
    expect(kindsOf(undo)).toEqual(["rollback.started", "rollback.finished"]);
    expect(undo[1]!.summary).toMatch(/^Undo of shop-ev/);
    // …and each reached the webhook, keyed by its event id.
    const ids = await until("five webhooks", async () => {
      const got = hook.got.map((g) => (JSON.parse(g.body) as { id: string }).id);
      return evs.every((e) => got.includes(`event-${e.id}`)) ? got : null;
    });
    expect(ids.length).toBeGreaterThanOrEqual(evs.length);
  });

  it("a backup that fails emits backup.failed; a dump changed on disk found by Verify emits backup.tampered", async () => {
    const ok = await m.jobs.startBackup({ app: await app(), method: "dump", actor: "oncall" });
    const outcome = await ok.done;
    expect(outcome.status, outcome.error?.message).toBe("ok");
    const backupId = (outcome.result as { backupId: number }).backupId;
    const b = (await m.backups.getBackup(shop.appId, backupId))!;
    await fs.appendFile(path.join(shop.backupsDir, b.name), "\n-- appended\n");
    let from = await lastEventId();
    const verify = await m.admin.startVerify(await app(), backupId, "oncall");
    expect((await verify.done).status).toBe("failed");
    const tampered = await eventsSince(from);
    expect(kindsOf(tampered)).toEqual(["backup.tampered"]);
    expect(tampered[0]!.summary).toContain(b.name);

    // The app's database vanishes from under it (renamed away for the test): the next backup fails.
    const sql = adminSql(metaDb);
    await sql`update apps set db_name = 'shop_ev_gone' where id = ${shop.appId}`;
    from = await lastEventId();
    try {
      const bad = await m.jobs.startBackup({ app: await app(), method: "dump", actor: "cron" });
      expect((await bad.done).status).toBe("failed");
    } finally {
      await sql`update apps set db_name = ${shop.db} where id = ${shop.appId}`;
      await sql.end();
    }
    const failed = await eventsSince(from);
    expect(kindsOf(failed)).toEqual(["backup.failed"]);
    expect(failed[0]!.summary).toMatch(/Backup of shop-ev \(dump, manual, job #\d+\) failed: .*shop_ev_gone/);
  });

  it("the probe: app.down when it stops answering, app.up when it is back, nothing while the state holds", async () => {
    const log: string[] = [];
    await m.probe.probeAllApps((l) => log.push(l)); // whatever the state was, it is "up" now
    const from = await lastEventId();
    await m.probe.probeAllApps((l) => log.push(l));
    await shop.appctl("stop");
    await m.probe.probeAllApps((l) => log.push(l));
    await m.probe.probeAllApps((l) => log.push(l));
    await shop.appctl("start");
    await m.probe.probeAllApps((l) => log.push(l));
    expect(kindsOf(await eventsSince(from))).toEqual(["app.down", "app.up"]);

    // Several workers seeing the same outage at once announce it once.
    const again = await lastEventId();
    const down = { up: false, error: "connection refused", status: null };
    // Open the pool's connections first, so that the four really run side by side.
    await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map(() => m.client.getDb().$client`select pg_sleep(0.05)`));
    const changed = await Promise.all([1, 2, 3, 4].map(() => m.probe.recordProbeAndAnnounce(shop.appId, shop.slug, down)));
    expect(changed.filter(Boolean)).toHaveLength(1);
    expect(kindsOf(await eventsSince(again))).toEqual(["app.down"]);
  });
});
