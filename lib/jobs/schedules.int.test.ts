import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminSql, urlFor, useMetaDb } from "@/test/helpers";
import { holdTable, spawnWorker, waitFor, type WorkerProc } from "@/test/fixtures/workers";
import { registerShopApp } from "@/test/fixtures/shop-app";

// Schedules and the dead-man's switch with real worker processes (scripts/worker.ts) and pg-boss's own
// scheduler. LIFEBOAT_CRON_CHECK_SECONDS=1 makes pg-boss look at the crons every second; a per-minute cron is
// due at every look, and pg-boss fires each minute slot once.
process.env.LIFEBOAT_WORKER_INPROCESS = "0";
const WORKER_ENV = { LIFEBOAT_CRON_CHECK_SECONDS: "1", LIFEBOAT_WATCHDOG_MS: "300" };
let metaUrl: string;
let mods: {
  schedules: typeof import("@/lib/db/queries/schedules");
  jobsSchedules: typeof import("@/lib/jobs/schedules");
  overdue: typeof import("@/lib/jobs/overdue");
  jobs: typeof import("@/lib/jobs");
  runner: typeof import("@/lib/jobs/runner");
  apps: typeof import("@/lib/db/queries/apps");
  jobQueries: typeof import("@/lib/db/queries/jobs");
  live: typeof import("@/lib/live/state");
  client: typeof import("@/lib/db/client");
};
const workers: WorkerProc[] = [];
const meta = () => adminSql(new URL(metaUrl).pathname.slice(1));

async function q<T>(fn: (sql: ReturnType<typeof adminSql>) => Promise<T>): Promise<T> {
  const sql = meta();
  try {
    return await fn(sql);
  } finally {
    await sql.end();
  }
}
const backupsOf = (appId: number) =>
  q((sql) => sql<{ id: number; kind: string; status: string; job_id: number }[]>`SELECT id, kind, status, job_id FROM backups WHERE app_id = ${appId} ORDER BY id`);
const overdueEvents = (appId: number) => q((sql) => sql<{ id: number; summary: string }[]>`SELECT id, summary FROM app_events WHERE app_id = ${appId} AND kind = 'backup.overdue' ORDER BY id`);
const overdueSince = async (appId: number) => (await q((sql) => sql<{ o: Date | null }[]>`SELECT overdue_since AS o FROM apps WHERE id = ${appId}`))[0]!.o;
/** Pretends the app's backups were all taken three hours ago. */
const ageBackups = (appId: number) => q((sql) => sql`UPDATE backups SET created_at = created_at - interval '3 hours' WHERE app_id = ${appId}`);

async function worker(name: string) {
  const w = await spawnWorker(name, WORKER_ENV);
  workers.push(w);
  return w;
}

beforeAll(async () => {
  metaUrl = await useMetaDb();
  mods = {
    schedules: await import("@/lib/db/queries/schedules"),
    jobsSchedules: await import("@/lib/jobs/schedules"),
    overdue: await import("@/lib/jobs/overdue"),
    jobs: await import("@/lib/jobs"),
    runner: await import("@/lib/jobs/runner"),
    apps: await import("@/lib/db/queries/apps"),
    jobQueries: await import("@/lib/db/queries/jobs"),
    live: await import("@/lib/live/state"),
    client: await import("@/lib/db/client"),
  };
});

afterAll(async () => {
  for (const w of workers) await w.stop();
  await mods?.client.closeDb();
});

describe("schedules", () => {
  it("a per-minute schedule fires through pg-boss and its backup appears; a busy app is skipped and the skip recorded", async () => {
    const app = await registerShopApp("sched-a");
    const w = await worker("sched-1");
    const id = await mods.schedules.createSchedule(app.id, { label: "nightly", cron: "* * * * *", action: "backup", method: "dump", enabled: true }, "test");
    await waitFor(async () => (await backupsOf(app.id)).some((b) => b.kind === "scheduled" && b.status === "ok"), 90_000, async () => `no scheduled backup:\n${w.out()}`, 200);
    const [b] = (await backupsOf(app.id)).filter((x) => x.kind === "scheduled");
    expect((await mods.jobQueries.getJob(b!.job_id))!.actor).toBe(`schedule #${id} (nightly)`);
    // The last firing started a scheduled backup — or, when a new minute came while it ran, was skipped because of it.
    const s = (await mods.schedules.getSchedule(id))!;
    expect(["started", "skipped"]).toContain(s.lastOutcome);
    // Its job is one this schedule started (a newer firing's job may not have made its backup row yet).
    expect((await mods.jobQueries.getJob(s.lastJobId!))?.actor).toBe(`schedule #${id} (nightly)`);
    // pg-boss mirrors it under the schedule's own queue, in UTC (no time zone given).
    const boss = await q((sql) => sql<{ name: string; timezone: string }[]>`SELECT name, timezone FROM pgboss.schedule`);
    expect(boss).toEqual([{ name: `lifeboat-schedule-${id}`, timezone: "UTC" }]);

    // The app is busy (a manual backup waits for a table lock): the firing is skipped, politely and visibly.
    const lock = await holdTable(urlFor(app.db), "orders");
    try {
      const manual = await mods.jobs.startBackup({ app: (await mods.apps.getAppById(app.id))!, actor: "test" });
      await waitFor(async () => (await mods.jobQueries.getJob(manual.jobId))!.status === "running", 30_000, () => "the manual backup never ran");
      await mods.jobsSchedules.fireSchedule(id, () => {});
      const skipped = (await mods.schedules.getSchedule(id))!;
      expect(skipped.lastOutcome).toBe("skipped");
      expect(skipped.lastMessage).toMatch(/busy: job #\d+ \(backup/);
      expect(skipped.lastJobId).toBe(manual.jobId);
      await lock.release();
      expect((await manual.done).status).toBe("ok");
    } finally {
      await lock.release();
    }

    // Disabled: the worker takes it out of pg-boss's scheduler.
    await mods.schedules.setScheduleEnabled(app.id, id, false);
    await waitFor(async () => (await q((sql) => sql`SELECT 1 FROM pgboss.schedule`)).length === 0, 30_000, () => `still scheduled:\n${w.out()}`);

    // Scheduled retention (newest 1 here) prunes older scheduled backups only: the manual one stays.
    await mods.schedules.setScheduledRetention(app.id, { mode: "newest", keep: 1 });
    // A firing pg-boss sent just before the disable may still be queued or running (seen in CI): let it end.
    await waitFor(async () => !(await mods.jobQueries.getRunningJob(app.id)), 60_000, () => `a job is still active:\n${w.out()}`);
    const again = await mods.jobs.startBackup({ app: (await mods.apps.getAppById(app.id))!, scheduled: true, actor: "test" });
    expect((await again.done).status).toBe("ok");
    const live = await q((sql) => sql<{ kind: string; job_id: number }[]>`SELECT kind, job_id FROM backups WHERE app_id = ${app.id} AND deleted_at IS NULL AND status = 'ok' ORDER BY id`);
    expect(live.map((x) => x.kind)).toEqual(["manual", "scheduled"]);
    expect(live[1]!.job_id).toBe(again.jobId);
    await w.stop();
  }, 180_000);
});

describe("dead-man's switch", () => {
  it("with no worker alive nothing is announced and the flag says so; once a worker is back the lapse is announced once per episode", async () => {
    for (const w of workers) await w.stop(); // whatever an earlier test left running
    const app = await registerShopApp("sched-b", { staleAfterHours: "1" });
    const w1 = await worker("sched-2");
    const first = await mods.jobs.startBackup({ app: (await mods.apps.getAppById(app.id))!, actor: "test" });
    expect((await first.done).status).toBe("ok");
    await w1.stop();

    // No worker: the banner's flag and the CLI's warning say so, and nobody checks anything meanwhile.
    expect(await mods.runner.noWorkerWarning()).toBe(mods.runner.NO_WORKER_WARNING);
    expect((await mods.live.allLiveState()).workerAlive).toBe(false);
    await ageBackups(app.id);
    expect(await overdueSince(app.id)).toBeNull();

    const w2 = await worker("sched-3");
    expect((await mods.live.allLiveState()).workerAlive).toBe(true);
    await waitFor(async () => (await overdueEvents(app.id)).length > 0, 30_000, () => `no overdue event:\n${w2.out()}`);
    // More passes (the worker's and three of our own, as from other workers) announce nothing new.
    for (let i = 0; i < 3; i++) await mods.overdue.checkOverdueApps(() => {});
    const events = await overdueEvents(app.id);
    expect(events).toHaveLength(1);
    expect(events[0]!.summary).toMatch(/sched-b has no verified backup in the last 1 h/);
    expect(await overdueSince(app.id)).not.toBeNull();
    expect((await mods.apps.listAppsWithStatus()).find((a) => a.id === app.id)!.overdueSince).not.toBeNull();

    // A verified backup ends the episode; a later lapse is a new one, announced again.
    const second = await mods.jobs.startBackup({ app: (await mods.apps.getAppById(app.id))!, actor: "test" });
    expect((await second.done).status).toBe("ok");
    await waitFor(async () => (await overdueSince(app.id)) === null, 30_000, () => `still overdue:\n${w2.out()}`);
    expect(await overdueEvents(app.id)).toHaveLength(1);
    await ageBackups(app.id);
    await waitFor(async () => (await overdueEvents(app.id)).length === 2, 30_000, () => `no second overdue event:\n${w2.out()}`);
    // The other app's backups are recent: never overdue.
    const a = (await mods.apps.listAppsWithStatus()).find((x) => x.slug === "sched-a")!;
    expect(a.overdueSince).toBeNull();
  }, 180_000);

  it("a clone schedule on an app with open sessions fails visibly and is announced — it would never succeed, so it is no skip", async () => {
    const app = await registerShopApp("sched-c");
    const id = await mods.schedules.createSchedule(app.id, { label: "hourly clone", cron: "0 * * * *", action: "backup", method: "clone", enabled: true }, "test");
    const session = adminSql(app.db);
    await session`SELECT 1`; // an open session on the app's database, as the app's own pool keeps
    try {
      const lines: string[] = [];
      await mods.jobsSchedules.fireSchedule(id, (l) => lines.push(l));
      const s = (await mods.schedules.getSchedule(id))!;
      expect(s.lastOutcome).toBe("failed");
      expect(s.lastMessage).toMatch(/session/);
      expect(lines.join("\n")).toMatch(/failed:/);
      const events = await q((sql) => sql<{ summary: string }[]>`SELECT summary FROM app_events WHERE app_id = ${app.id} AND kind = 'backup.failed'`);
      expect(events.map((e) => e.summary)).toEqual([expect.stringMatching(/schedule #\d+ \(hourly clone\) of sched-c could not start/)]);
      expect(await backupsOf(app.id)).toEqual([]);
    } finally {
      await session.end();
    }
  });
});
