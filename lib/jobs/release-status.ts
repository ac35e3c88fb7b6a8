import type { AppView } from "@/lib/db/queries/apps";
import { getBackupByJob } from "@/lib/db/queries/backups";
import { getUndoJobOf } from "@/lib/db/queries/job-followups";
import { getJob } from "@/lib/db/queries/jobs";
import { OpError } from "@/lib/ops/errors";
import { readCurrentRelease } from "@/lib/ops/releases";
import { displayStatus, isFinal, type DisplayStatus } from "./job-status";
import { sleep } from "./lease";

// What a pipeline waits on after asking for a release (lib/jobs/release-job.ts): one answer that says whether
// the release is live, failed, or failed and was put back by the health policy's undo — and whether that is
// final. The API's ?wait=N and the CLI's --wait poll it.

export type ReleaseOutcome =
  /** Still running, or failed and the automatic undo is still to come or still running. */
  | "pending"
  /** R is current and passed its health check. */
  | "released"
  /** Failed; nothing undid it (nothing was changed, or the policy is keep). */
  | "failed"
  /** Failed its health check and the undo put the previous release (and database) back. */
  | "undone"
  /** Failed, and the undo failed too: look at the app now. */
  | "undo_failed";

export interface ReleaseStatus {
  jobId: number;
  release: string;
  outcome: ReleaseOutcome;
  final: boolean;
  status: DisplayStatus;
  phase: string;
  error: { code: string; message: string } | null;
  /** The verified backup taken before the switch. */
  backup: { id: number; name: string; method: string; status: string } | null;
  undo: { jobId: number; status: DisplayStatus } | null;
  /** What `current` points at now. */
  current: string | null;
  poll: string;
}

/** The worker starts the automatic undo right after the job ends: until then "undone" is still to come. */
const UNDO_GRACE_MS = 15_000;

export async function releaseStatus(app: AppView, jobId: number): Promise<ReleaseStatus> {
  const job = await getJob(jobId, app.id);
  if (!job || job.type !== "release") throw new OpError("not_found", `Job #${jobId} is not a release of ${app.slug}.`);
  const release = String((job.params as { release?: unknown }).release ?? "");
  const status = displayStatus(job);
  const undoId = isFinal(job.status) && job.status !== "ok" ? await getUndoJobOf(job.id) : null;
  const undoJob = undoId ? await getJob(undoId, app.id) : undefined;
  let outcome: ReleaseOutcome;
  if (!isFinal(job.status)) outcome = "pending";
  else if (job.status === "ok") outcome = "released";
  else if (undoJob) outcome = !isFinal(undoJob.status) ? "pending" : undoJob.status === "ok" ? "undone" : "undo_failed";
  else {
    const undoDue = job.errorCode === "health_failed" && app.healthPolicy === "undo" && Date.now() - (job.finishedAt?.getTime() ?? 0) < UNDO_GRACE_MS;
    outcome = undoDue ? "pending" : "failed";
  }
  const backup = await getBackupByJob(job.id);
  return {
    jobId: job.id,
    release,
    outcome,
    final: outcome !== "pending",
    status,
    phase: job.phase,
    error: job.error ? { code: job.errorCode ?? "failed", message: job.error } : null,
    backup: backup ? { id: backup.id, name: backup.name, method: backup.method, status: backup.status } : null,
    undo: undoJob ? { jobId: undoJob.id, status: displayStatus(undoJob) } : null,
    current: app.deployRoot ? await readCurrentRelease(app.deployRoot).catch(() => null) : null,
    poll: `/api/apps/${app.slug}/releases/${encodeURIComponent(release)}/activate?job=${job.id}&wait=60`,
  };
}

/** Polls until the outcome is final or `waitMs` has passed (or `signal` aborts); answers the last status. */
export async function waitForRelease(app: AppView, jobId: number, waitMs: number, opts: { signal?: AbortSignal; intervalMs?: number } = {}): Promise<ReleaseStatus> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const s = await releaseStatus(app, jobId);
    if (s.final || Date.now() >= deadline || opts.signal?.aborted) return s;
    await sleep(Math.min(opts.intervalMs ?? 500, Math.max(1, deadline - Date.now())));
  }
}
