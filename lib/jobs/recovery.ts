import type { Job } from "@/lib/db/schema";
import { recordAudit } from "@/lib/db/queries/audit";
import { getAppById, getAppTarget, listAppsWithStatus } from "@/lib/db/queries/apps";
import { listBackups } from "@/lib/db/queries/backups";
import { getRunningJob, listJournal, listRunningJobs, markJournalReconciled, updateJob, type JobView } from "@/lib/db/queries/jobs";
import type { JournalEntry } from "@/lib/ops/journal";
import { reconcileLeftoverStaging } from "@/lib/ops/rollback-reconcile";
import { recoverBackup } from "./backup-recovery";
import { recoverDrill } from "./drill-job";
import { takeOverIfDead } from "./liveness";
import { tryLockApp } from "./lock";
import { recoverRelease } from "./release-recovery";
import { recoverChange } from "./rollback-recovery";

/**
 * Reconciles one dead job: each operation it ran reconciles its own journal steps (lib/ops), in order, and
 * says what it decided (each decision goes to the job log and the audit log). Runs while holding the app's
 * lock, so nothing else touches the app meanwhile.
 */
export type RecoveryHandler = (job: JobView, journal: readonly JournalEntry[], log: (line: string) => void) => Promise<string[]>;

const handlers: Partial<Record<Job["type"], RecoveryHandler>> = {
  backup: recoverBackup,
  restore: recoverChange,
  rollback: recoverChange,
  switch_release: recoverChange,
  undo: recoverChange,
  release: recoverRelease,
  drill: recoverDrill,
};

export interface RecoveryReport {
  /** null: not a job, but leftovers found on the app's server (see recoverLeftovers). */
  jobId: number | null;
  app: string;
  type: Job["type"] | "leftovers";
  decisions: string[];
  error?: string;
}

/**
 * Finds jobs marked running that are proven dead (lib/jobs/liveness.ts: lease expired, lock free, owner gone
 * or fenced), takes each over (new epoch) and reconciles it. Jobs still alive are never touched.
 */
export async function recoverInterruptedJobs(
  actor = "system (recovery)",
  onlyAppId?: number,
  opts: { leftovers?: boolean } = {},
): Promise<RecoveryReport[]> {
  const reports: RecoveryReport[] = [];
  for (const job of await listRunningJobs()) {
    if (onlyAppId !== undefined && job.appId !== onlyAppId) continue;
    const lock = await takeOverIfDead(job);
    if (!lock) continue;
    const app = await getAppById(job.appId);
    const report: RecoveryReport = { jobId: job.id, app: app?.slug ?? String(job.appId), type: job.type, decisions: [] };
    try {
      const journal = await listJournal(job.id);
      const handler = handlers[job.type];
      const lines: string[] = [];
      report.decisions = handler ? await handler(job, journal, (l) => lines.push(l)) : ["no recovery steps for this kind of job"];
      await updateJob(job.id, {
        status: "interrupted",
        phase: "interrupted",
        error: `Interrupted: ${job.fencedReason ? `the worker stopped it because ${job.fencedReason}` : "the process running this job stopped before it finished"}. Recovery: ${report.decisions.join("; ")}`,
        errorCode: "interrupted",
        log: [job.log, ...lines, ...report.decisions.map((d) => `recovery: ${d}`)].filter(Boolean).join("\n"),
        finishedAt: new Date(),
      });
      await markJournalReconciled([job.id]);
    } catch (e) {
      report.error = e instanceof Error ? e.message : String(e);
    } finally {
      await lock.release();
    }
    await recordAudit({
      actor,
      appSlug: report.app,
      action: "job.recover",
      params: { jobId: job.id, type: job.type, decisions: report.decisions },
      result: report.error ? "error" : "ok",
      message: report.error ?? report.decisions.join("; "),
      durationMs: null,
    });
    reports.push(report);
  }
  if (opts.leftovers ?? true) reports.push(...(await recoverLeftovers(actor, onlyAppId)));
  return reports;
}

/**
 * Staging databases no job accounts for (a failed run whose own drop was refused, a journal that is gone):
 * looked for on each app's server while holding the app's lock with no job queued or running, so nothing
 * is building or swapping one. Reports only apps where something was found (or the look failed).
 */
async function recoverLeftovers(actor: string, onlyAppId?: number): Promise<RecoveryReport[]> {
  const reports: RecoveryReport[] = [];
  const ids = onlyAppId !== undefined ? [onlyAppId] : (await listAppsWithStatus()).map((a) => a.id);
  for (const appId of ids) {
    const lock = await tryLockApp(appId);
    if (!lock) continue;
    const app = await getAppById(appId);
    const report: RecoveryReport = { jobId: null, app: app?.slug ?? String(appId), type: "leftovers", decisions: [] };
    try {
      if (!app || (await getRunningJob(appId))) continue;
      const target = await getAppTarget(appId);
      const recorded = new Set((await listBackups(appId)).filter((b) => b.method === "clone").map((b) => b.name));
      report.decisions = (await reconcileLeftoverStaging(target, { recordedBackups: recorded, waitMs: 5000 })).decisions;
    } catch (e) {
      report.error = `could not look for leftover staging databases: ${e instanceof Error ? e.message : String(e)}`;
    } finally {
      await lock.release();
    }
    if (report.decisions.length === 0 && !report.error) continue;
    await recordAudit({
      actor,
      appSlug: report.app,
      action: "job.recover",
      params: { leftovers: true, decisions: report.decisions },
      result: report.error ? "error" : "ok",
      message: report.error ?? report.decisions.join("; "),
      durationMs: null,
    });
    reports.push(report);
  }
  return reports;
}
