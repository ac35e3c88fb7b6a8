import { z } from "zod";
import type { AppView } from "@/lib/db/queries/apps";
import { getAppById } from "@/lib/db/queries/apps";
import { getRunningJob } from "@/lib/db/queries/jobs";
import { getNewestReleaseJob } from "@/lib/db/queries/release-jobs";
import { recordReleaseEvents } from "@/lib/db/queries/release-events";
import { emitAppEvent } from "@/lib/events/emit";
import type { Role } from "@/lib/auth/roles";
import { isOpError, OpError } from "@/lib/ops/errors";
import { readCurrentRelease, releaseNameProblem } from "@/lib/ops/releases";
import { runBackupJob } from "./backup-job";
import { leaseExpired } from "./job-status";
import { assertBadConfirmed } from "./rollback-expect";
import { assertNothingToRecover, resolveSwitch } from "./rollback-resolve";
import { runChange } from "./rollback-run";
import { followJob, startJob, type JobBody, type JobOutcome } from "./runner";
import { changeJobTypes } from "@/lib/ops/change-record";

// A guarded release (seed 000's deploy steps with Lifeboat as the safety net), started by a pipeline once the
// release's files are in releases/<R>/ with the completion marker: a verified automatic backup → stop →
// switch `current` to R → start → health check → on failure the app's health policy (undo by default, run by
// the worker as for any change: lib/jobs/health-policy.ts). One job of type "release"; the switch is the
// release switch of lib/jobs/rollback-run.ts, so its change record, recovery and undo are a switch's.
//
// Idempotent per release name, so a pipeline may retry its call freely. A call for release R:
//   1. returns the newest release job for R when it is queued or running (also when it lost contact);
//   2. returns the newest release job for R when it ended ok and `current` still points at R;
//   3. otherwise starts a new job — after the checks: R is a valid name, exists, is complete, is not marked
//      bad and is not already current (made current some other way: "already_current").
// So a new job starts only when there is none for R, or the last one failed or was undone, or `current` has
// moved away from R since (a later rollback): calling again then really releases R again.

export interface ReleaseRequest {
  app: AppView;
  release: string;
  actor: string;
  actorRole?: Role;
  /** The pre-release backup's method; default: the app's. */
  method?: "dump" | "clone";
  /** Clone only: end the app's sessions to take the clone. */
  endSessions?: boolean;
}

export interface StartedRelease {
  jobId: number;
  /** An earlier call's job (rules 1 and 2 above), not a new one. */
  reused: boolean;
  done: Promise<JobOutcome>;
  warning?: string;
  summary: string;
}

const paramsSchema = z.object({
  release: z.string(),
  method: z.enum(["dump", "clone"]),
  endSessions: z.boolean(),
  actorRole: z.string().nullable(),
});

/** Queues the release of `req.release`, or returns the job that already does it (see the rules above). */
export async function startRelease(req: ReleaseRequest): Promise<StartedRelease> {
  const { app, release } = req;
  const problem = typeof release === "string" ? releaseNameProblem(release) : "it is not text";
  if (problem) throw new OpError("invalid_release", `Refusing release ${JSON.stringify(String(release).slice(0, 80))}: ${problem}. Nothing was done.`);
  const existing = await reusableReleaseJob(app, release);
  if (existing) return existing;
  const r = await resolveSwitch({ app, release });
  await assertBadConfirmed(r, false);
  await assertNothingToRecover(app);
  const params = { release, from: r.current, method: req.method ?? app.defaultMethod, endSessions: !!req.endSessions, actorRole: req.actorRole ?? null };
  try {
    const started = await startJob({ appId: app.id, appSlug: app.slug, type: "release", params, actor: req.actor });
    return { ...started, reused: false, summary: `release ${r.current ?? "nothing"} → ${release}, backup first` };
  } catch (e) {
    // Two calls for the same release at once: the app's one-active-job rule let one in; the other gets its job.
    if (isOpError(e) && e.code === "busy") {
      const again = await reusableReleaseJob(app, release);
      if (again) return again;
    }
    throw e;
  }
}

async function reusableReleaseJob(app: AppView, release: string): Promise<StartedRelease | null> {
  const job = await getNewestReleaseJob(app.id, release);
  if (!job) return null;
  const active = job.status === "queued" || job.status === "running";
  const doneAndCurrent = job.status === "ok" && app.deployRoot !== null && (await readCurrentRelease(app.deployRoot)) === release;
  if (!active && !doneAndCurrent) return null;
  // "Already released" is not the whole truth while another change is queued or running: it may replace R any
  // moment (an outside tester's pipeline was told "released, final" just before another release switched away).
  const other = active ? undefined : await changeUnderWay(app.id);
  if (other) {
    throw new OpError(
      "busy",
      `${app.slug} is busy: job #${other.id} (${other.type.replace("_", " ")}, ${other.status}) may replace ${release}, which job #${job.id} released. Ask again when it has ended.`,
    );
  }
  const state = active ? (leaseExpired(job) ? "has lost contact with its worker" : job.status) : "already released it";
  return { jobId: job.id, reused: true, done: followJob(job.id), summary: `release ${release}: job #${job.id} ${state}; no new job` };
}

async function changeUnderWay(appId: number) {
  const running = await getRunningJob(appId);
  return running && (changeJobTypes as readonly string[]).includes(running.type) ? running : undefined;
}

/** The worker's body for "release" jobs. */
export const runReleaseJob: JobBody = async (ctx, job) => {
  const app = await getAppById(job.appId);
  if (!app) throw new OpError("not_found", `App #${job.appId} no longer exists.`);
  const p = paramsSchema.parse(job.params);
  const from = app.deployRoot ? await readCurrentRelease(app.deployRoot).catch(() => null) : null;
  const details = { release: p.release, from };
  await emitAppEvent({ appId: app.id, kind: "release.started", summary: `Release ${p.release} started (current: ${from ?? "nothing"})`, details, jobId: ctx.jobId });
  try {
    // Re-checked under the app's lock: the release may have been removed or marked bad while this was queued.
    const r = await resolveSwitch({ app, release: p.release });
    await assertBadConfirmed(r, false);
    ctx.log(`release ${p.release}: a verified automatic backup of the database first`);
    const backupParams = { method: p.method, kind: "automatic", label: null, forRelease: p.release, endSessions: p.endSessions, actorRole: p.actorRole };
    const backup = (await runBackupJob(ctx, { ...job, type: "backup", params: backupParams })) as { backupId: number; name: string; method: string };
    await recordReleaseEvents(app.id, [{ release: p.release, kind: "deployed", actor: job.actor, jobId: ctx.jobId, note: `backup ${backup.name} taken first` }]);
    const record = await runChange(ctx, r, job.actor, { announce: false });
    await emitAppEvent({
      appId: app.id,
      kind: "release.finished",
      summary: `Release ${p.release} is current and healthy (was ${record.previousRelease ?? "nothing"})`,
      details: { ...details, backup: backup.name },
      jobId: ctx.jobId,
    });
    return { ...record, backup: { id: backup.backupId, name: backup.name, method: backup.method } };
  } catch (e) {
    const code = isOpError(e) ? e.code : "failed";
    const message = e instanceof Error ? e.message : String(e);
    await emitAppEvent({ appId: app.id, kind: "release.failed", summary: `Release ${p.release} failed: ${message}`, details: { ...details, code }, jobId: ctx.jobId });
    throw e;
  }
};
