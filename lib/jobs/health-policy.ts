import { getAppById } from "@/lib/db/queries/apps";
import { getUndoJobOf, listHealthFailedChanges } from "@/lib/db/queries/job-followups";
import { claimRecoveryHealthCheck, getJob, getLatestChangeJob, setRecoveryHealth } from "@/lib/db/queries/jobs";
import { parseChangeRecord } from "@/lib/ops/change-record";
import { emitAppEvent } from "@/lib/events/emit";
import { checkHealth } from "@/lib/ops/app-control";
import { isOpError } from "@/lib/ops/errors";
import { readCurrentRelease } from "@/lib/ops/releases";
import { hasChangeOutcomeEvents, recordReleaseEvents } from "@/lib/db/queries/release-events";
import { changeEvents } from "./release-history";
import { startUndo } from "./rollback-job";

// The health policy (apps.health_policy): after a rollback, restore or release switch whose health check
// failed, "undo" starts the undo at once; "keep" leaves it (the job already ended failed, "health failed").
// A change whose process died before its health check (interrupted; recovery finished it) is checked once
// after recovery and treated the same way when it fails.
// The undo is a job of its own, health-checked like any change; an undo never triggers another undo, so
// nothing loops. Run by the worker as soon as a job ends, and by its periodic scan (a worker that died
// between the two still gets its undo from the next scan: the decision is read from the rows, not memory).

export const AUTO_UNDO_ACTOR = "lifeboat (health policy)";
// A guarded release (lib/jobs/release-job.ts) is a release switch with a backup before it.
const TRIGGERS = ["rollback", "switch_release", "restore", "release"] as const;

export type PolicyDecision = { jobId: number; undoJobId?: number; skipped?: string };

/** Starts the automatic undo of `jobId` if the policy asks for it and nobody has undone it yet. */
export async function applyHealthPolicy(jobId: number): Promise<PolicyDecision> {
  const job = await getJob(jobId);
  if (!job || !(TRIGGERS as readonly string[]).includes(job.type)) return { jobId, skipped: "not a rollback, restore or switch" };
  const interrupted = job.status === "interrupted";
  if (!interrupted && (job.status !== "failed" || job.errorCode !== "health_failed")) return { jobId, skipped: "did not fail its health check" };
  const record = parseChangeRecord(job.result);
  if (!record?.changed) return { jobId, skipped: "changed nothing" };
  const app = await getAppById(job.appId);
  if (!app) return { jobId, skipped: "app gone" };
  if (interrupted) {
    // Its process died before the health check (recovery finished the change): check now, once.
    if (!app.healthUrl || (await hasChangeOutcomeEvents(jobId))) return { jobId, skipped: "interrupted; nothing to check" };
    if ((await getLatestChangeJob(app.id))?.id !== jobId) return { jobId, skipped: "a later change exists" };
    // Several workers' scans may get here at once: one of them checks and records, the others stop.
    if (!(await claimRecoveryHealthCheck(jobId))) return { jobId, skipped: "interrupted; another worker checks it" };
    const health = await checkHealth(app.healthUrl, app.healthTimeoutSec * 1000);
    // The job's evidence (and the app page's last-change panel) shows this check, not "health: none".
    await setRecoveryHealth(jobId, { http: { ...health }, db: { ok: true } });
    const current = app.deployRoot ? await readCurrentRelease(app.deployRoot).catch(() => null) : null;
    const events = changeEvents(job.type === "release" ? "switch_release" : (job.type as Exclude<(typeof TRIGGERS)[number], "release">), record, !health.ok, current);
    await recordReleaseEvents(app.id, events.map((e) => ({ ...e, actor: e.kind === "health_failed" ? AUTO_UNDO_ACTOR : job.actor, jobId, note: [e.note, "checked after recovery"].filter(Boolean).join("; ") })));
    if (health.ok) return { jobId, skipped: "healthy after recovery" };
    await emitAppEvent({ appId: app.id, kind: "health.failed", summary: `Health check of ${app.slug} failed after job #${jobId} (${job.type}), checked after recovery: ${health.error ?? `answered ${health.status}`}.`, details: { jobKind: job.type, checkedAfterRecovery: true }, jobId });
  }
  if (app.healthPolicy !== "undo") return { jobId, skipped: "policy keep" };
  if (await getUndoJobOf(jobId)) return { jobId, skipped: "already undone" };
  if ((await getLatestChangeJob(app.id))?.id !== jobId) return { jobId, skipped: "a later change exists" };
  try {
    const { jobId: undoJobId } = await startUndo({ app, jobId, actor: AUTO_UNDO_ACTOR });
    return { jobId, undoJobId };
  } catch (e) {
    // busy: another job got in first (recovery, an operator's own undo); the next scan looks again.
    if (isOpError(e)) return { jobId, skipped: e.message };
    throw e;
  }
}

/** The periodic scan: recent health-failed changes whose policy is undo and that nobody undid. Never rejects. */
export async function applyHealthPolicies(log: (line: string) => void, withinMs = 60 * 60_000): Promise<void> {
  try {
    for (const id of await listHealthFailedChanges(TRIGGERS, new Date(Date.now() - withinMs), new Date(Date.now() - 10 * 60_000))) {
      const d = await applyHealthPolicy(id);
      if (d.undoJobId) log(`health policy: job #${id} failed its health check; undo started as job #${d.undoJobId}`);
    }
  } catch (e) {
    log(`health policy: ${e instanceof Error ? e.message : String(e)}`);
  }
}
