import type PgBoss from "pg-boss";
import { getAppById } from "@/lib/db/queries/apps";
import { getSchedule, listEnabledSchedules, recordScheduleFiring } from "@/lib/db/queries/schedules";
import type { Schedule } from "@/lib/db/schema-schedules";
import { env } from "@/lib/env";
import { emitAppEvent } from "@/lib/events/emit";
import { OpError } from "@/lib/ops/errors";
import { cronProblem, timeZoneProblem } from "@/lib/validation/schedules";
import { startBackup } from "./backup-job";
import { startJob } from "./runner";

// Schedules run on pg-boss's scheduler. pg-boss 10 keys a schedule by its queue name (one schedule per queue,
// no `key` option before v11), so each Lifeboat schedule gets its own queue, lifeboat-schedule-<id>: pg-boss
// evaluates the cron in the schedule's time zone, fires each minute slot once across all workers (its cron_on
// debounce and a singleton key), and puts a message on that queue; a worker takes it and starts an ordinary job.
// The schedules table is the truth: every worker mirrors it into pg-boss on its watchdog interval (a disabled
// or deleted schedule stops there within one interval, and a firing re-reads its row before doing anything).
const PREFIX = "lifeboat-schedule-";
export const scheduleQueue = (id: number) => `${PREFIX}${id}`;

interface FireMessage {
  scheduleId: number;
}

/** Mirrors the enabled schedules into pg-boss and keeps one poller per schedule queue. Never rejects. */
export function scheduleSync(boss: PgBoss, log: (line: string) => void) {
  const working = new Set<string>();
  const warned = new Set<string>();
  const pollingIntervalSeconds = env().LIFEBOAT_CRON_CHECK_SECONDS;

  async function sync(): Promise<void> {
    try {
      const wanted = new Map<string, Pick<Schedule, "id" | "cron" | "timeZone">>();
      for (const s of await listEnabledSchedules()) {
        // Saved rows were validated; a row edited by hand that pg-boss would choke on is skipped, not fatal.
        const why = (s.timeZone && timeZoneProblem(s.timeZone)) || cronProblem(s.cron, s.timeZone ?? undefined);
        if (!why) wanted.set(scheduleQueue(s.id), s);
        else if (!warned.has(`${s.id} ${s.cron} ${s.timeZone}`)) {
          warned.add(`${s.id} ${s.cron} ${s.timeZone}`); // once, not every watchdog pass
          log(`schedule #${s.id}: ${why}; not scheduled`);
        }
      }
      // getSchedules returns the whole row (SELECT *), time zone included; pg-boss's types leave it out.
      const rows = (await boss.getSchedules()) as (PgBoss.Schedule & { timezone?: string })[];
      const current = new Map(rows.filter((s) => s.name.startsWith(PREFIX)).map((s) => [s.name, s]));
      for (const [name, s] of wanted) {
        const tz = s.timeZone ?? "UTC";
        const had = current.get(name);
        if (had && had.cron === s.cron && had.timezone === tz) continue;
        // No retries: a firing whose worker died mid-way is not repeated minutes late (the overdue alarm covers a
        // missed one; a job it did start is the watchdog's).
        if (!(await boss.getQueue(name))) await boss.createQueue(name, { name, retryLimit: 0, expireInSeconds: 300 }).catch(() => {});
        await boss.schedule(name, s.cron, { scheduleId: s.id } satisfies FireMessage, { tz });
      }
      for (const name of current.keys()) if (!wanted.has(name)) await boss.unschedule(name);
      for (const name of wanted.keys()) {
        if (working.has(name)) continue;
        await boss.work<FireMessage>(name, { batchSize: 1, pollingIntervalSeconds }, async ([msg]) => {
          if (msg) await fireSchedule(msg.data.scheduleId, log);
        });
        working.add(name);
      }
      for (const name of [...working]) {
        if (wanted.has(name)) continue;
        await boss.offWork(name).catch(() => {});
        working.delete(name);
        await boss.deleteQueue(name).catch(() => {});
      }
    } catch (e) {
      log(`schedules: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  return { sync, stop: async () => Promise.all([...working].map((n) => boss.offWork(n).catch(() => {}))) };
}

/**
 * A schedule fired: start its job through the same path as the dashboard, API and CLI. An app that is busy
 * (a job queued or running) is skipped, and the skip is recorded on the schedule; so is any other refusal.
 */
export async function fireSchedule(scheduleId: number, log: (line: string) => void): Promise<void> {
  const s = await getSchedule(scheduleId);
  if (!s || !s.enabled) return; // deleted or disabled since pg-boss fired it
  const app = await getAppById(s.appId);
  if (!app) return;
  const actor = `schedule #${s.id}${s.label ? ` (${s.label})` : ""}`;
  try {
    const { jobId } =
      s.action === "drill"
        ? await startJob({ appId: app.id, appSlug: app.slug, type: "drill", params: { backupId: null, scheduleId: s.id }, actor })
        : await startBackup({ app, method: s.method, scheduled: true, actor });
    await recordScheduleFiring(s.id, { outcome: "started", message: `started job #${jobId}`, jobId });
    log(`${actor} (${app.slug}): started job #${jobId}`);
  } catch (e) {
    // Another job running is a skip (this slot's backup is that job's business); anything else — open
    // sessions a clone schedule cannot end, a missing backup to drill — fails every time until someone acts,
    // so it is a failure, announced like a failed backup.
    const busy = e instanceof OpError && e.code === "busy";
    const message = e instanceof Error ? e.message : String(e);
    const jobId = e instanceof OpError && typeof e.details?.jobId === "number" ? e.details.jobId : null;
    await recordScheduleFiring(s.id, { outcome: busy ? "skipped" : "failed", message, jobId }).catch(() => {});
    log(`${actor} (${app.slug}): ${busy ? "skipped" : "failed"}: ${message}`);
    if (!busy) await emitAppEvent({ appId: app.id, kind: "backup.failed", summary: `${actor} of ${app.slug} could not start: ${message}`, details: { scheduleId: s.id } });
  }
}
