import type { Job } from "@/lib/db/schema";
import { enqueueJob, failQueuedJob, getJob } from "@/lib/db/queries/jobs";
import { anyWorkerAlive } from "@/lib/db/queries/workers";
import type { OpContext } from "@/lib/ops/context";
import { OpError } from "@/lib/ops/errors";
import { ProcessError } from "@/lib/ops/exec";
import { sleep } from "./lease";
import { dispatchJob } from "./queue";

// Web actions, API routes and the CLI enqueue a job and follow its row; a worker process (lib/jobs/worker.ts)
// runs it. The job row is the one truth: `done` settles when the row reaches a final status.

export interface JobSpec {
  appId: number;
  appSlug: string;
  type: Job["type"];
  /** Everything the worker needs to run the job (it rebuilds the request from these). Shown in the audit log. */
  params: Record<string, unknown>;
  actor: string;
}

export interface JobContext extends OpContext {
  jobId: number;
}

/** What a worker runs for a job type: lib/jobs/worker-bodies.ts maps each type to its body. */
export interface ClaimedJob {
  id: number;
  appId: number;
  appSlug: string;
  type: Job["type"];
  params: Record<string, unknown>;
  actor: string;
}

export type JobBody = (ctx: JobContext, job: ClaimedJob) => Promise<Record<string, unknown> | void>;

export interface JobOutcome {
  jobId: number;
  status: "ok" | "failed";
  result?: Record<string, unknown>;
  error?: { code: string; message: string };
}

export interface StartedJob {
  jobId: number;
  done: Promise<JobOutcome>;
  /** Set when no worker is running: the job waits in the queue until one starts. */
  warning?: string;
}

export const NO_WORKER_WARNING = "no worker is answering (none running, or stuck) — start or restart it with `npm run worker`; the job waits in the queue until then";

let beforeEnqueue: (() => Promise<void>) | undefined;

/**
 * Tests only: runs before each job is queued (test/setup-worker.ts starts a worker inside the test process
 * there). A hook rather than an import of ./worker, which imports the job bodies, which import this file.
 */
export function setBeforeEnqueue(fn: (() => Promise<void>) | undefined): void {
  beforeEnqueue = fn;
}

/**
 * Queues a long operation as a job, or answers "busy" at once with the job the app is already running.
 * `done` settles when the job row reaches a final status; it never rejects.
 */
export async function startJob(spec: JobSpec): Promise<StartedJob> {
  await beforeEnqueue?.();
  const queued = await enqueueJob({ appId: spec.appId, type: spec.type, params: spec.params, actor: spec.actor });
  if ("busy" in queued) throw busyError(spec.appSlug, queued.busy);
  const { jobId } = queued;
  try {
    await dispatchJob(jobId);
  } catch (e) {
    // Never leave a queued row that nothing will pick up: it would block the app.
    const why = e instanceof Error ? e.message : String(e);
    await failQueuedJob(jobId, `Could not hand the job to the workers: ${why}`).catch(() => {});
    throw new OpError("queue_failed", `Could not queue the job: ${why}`);
  }
  const warning = await noWorkerWarning();
  return { jobId, done: followJob(jobId), ...(warning ? { warning } : {}) };
}

/** The warning callers print when no worker has beaten recently. */
export async function noWorkerWarning(): Promise<string | undefined> {
  const alive = await anyWorkerAlive().catch(() => true);
  return alive ? undefined : NO_WORKER_WARNING;
}

/** Polls the job row until it is final. Never rejects: a metadata outage only delays the answer. */
export async function followJob(jobId: number, intervalMs = 300): Promise<JobOutcome> {
  for (;;) {
    const job = await getJob(jobId).catch(() => undefined);
    if (job && (job.status === "ok" || job.status === "failed" || job.status === "interrupted")) {
      if (job.status === "ok") return { jobId, status: "ok", result: job.result ?? undefined };
      return {
        jobId,
        status: "failed",
        result: job.result ?? undefined,
        error: { code: job.errorCode ?? (job.status === "interrupted" ? "interrupted" : "failed"), message: job.error ?? job.status },
      };
    }
    await sleep(intervalMs);
  }
}

function busyError(appSlug: string, running: { id: number; type: string; phase: string; startedAt: Date; actor: string; status: string } | undefined): OpError {
  if (!running) {
    return new OpError("busy", `Another operation on ${appSlug} is starting. Try again in a moment.`);
  }
  const ago = Math.max(1, Math.round((Date.now() - running.startedAt.getTime()) / 1000));
  return new OpError(
    "busy",
    `${appSlug} is busy: job #${running.id} (${running.type}, ${running.phase}) ${running.status === "queued" ? "queued" : "started"} ${ago}s ago by ${running.actor}. ` +
      `Wait for it to finish, or follow it on the app page.`,
    { jobId: running.id },
  );
}

export function describeFailure(e: unknown): { code: string; message: string } {
  if (e instanceof OpError) return { code: e.code, message: e.message };
  if (e instanceof ProcessError) return { code: "process_failed", message: e.message };
  const message = e instanceof Error ? e.message : String(e);
  return { code: "internal", message: `Unexpected error: ${message}` };
}
