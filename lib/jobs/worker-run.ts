import { recordAudit } from "@/lib/db/queries/audit";
import { appendJournalFenced, markJobFenced, updateJobFenced } from "@/lib/db/queries/jobs";
import { env } from "@/lib/env";
import { crashPoint, FencedError, runInJobScope } from "@/lib/ops/context";
import { ProcessError } from "@/lib/ops/exec";
import { Lease, retryWrite, sleep, withTimeout, type LeaseTiming } from "./lease";
import type { AppLock } from "./lock";
import { describeFailure, type ClaimedJob, type JobBody, type JobContext, type JobOutcome } from "./runner";

const LOG_LINES = 300;
const FLUSH_MS = 300;
/** After a fence, how long the body may take to notice (its children are already killed) before we record it. */
const FENCE_GRACE_MS = 10_000;

/**
 * Runs a job this worker has claimed (epoch) while holding its app lock: lease and lock watch, the body in
 * a job scope (its children die with the signal), fenced writes of phase/progress/log, then the outcome —
 * or, if fenced, why, leaving the job to the watchdog's recovery. Never rejects.
 */
export async function runClaimedJob(job: ClaimedJob, epoch: number, lock: AppLock, body: JobBody, timing: LeaseTiming, claimSentAt: number, started: (lease: Lease) => void = () => {}): Promise<void> {
  const lease = new Lease(job.id, epoch, lock, timing, claimSentAt);
  lease.start();
  started(lease);
  const reporter = new JobReporter(job, epoch, lease);
  const t0 = Date.now();
  let outcome: JobOutcome;
  const run = runInJobScope({ signal: lease.signal }, async () => (await body(reporter.context(), job)) ?? undefined);
  const settled = run.then(
    (result): JobOutcome => ({ jobId: job.id, status: "ok", result }),
    (e: unknown): JobOutcome => {
      const error = e instanceof FencedError ? { code: "fenced", message: e.message } : describeFailure(e);
      if (e instanceof ProcessError) reporter.log(`${e.argv.join(" ")}\n${e.stderrTail}`);
      reporter.log(`failed: ${error.message}`);
      return { jobId: job.id, status: "failed", error };
    },
  );
  const fencedThenGrace = new Promise<undefined>((resolve) => {
    lease.signal.addEventListener("abort", () => void sleep(FENCE_GRACE_MS).then(() => resolve(undefined)), { once: true });
  });
  outcome = (await Promise.race([settled, fencedThenGrace])) ?? { jobId: job.id, status: "failed", error: { code: "fenced", message: "fenced" } };
  // A failure may be the first sign that the lock session is gone (PostgreSQL restarted: every connection
  // dropped at once, the op's cleanup could not run). Then recovery must reconcile, not a plain "failed".
  if (outcome.status === "failed" && !lease.reason && !(await lock.held())) {
    lease.fence("its app lock session ended (the metadata database connection was lost) while the job failed");
  }
  lease.stop();
  reporter.stopTimers();
  try {
    if (lease.reason) {
      // Not a final status: recovery (the watchdog, in this or another worker) reconciles what was half done.
      reporter.log(`stopped: ${lease.reason}`);
      await retryWrite(() => markJobFenced(job.id, epoch, lease.reason!, reporter.logText()));
      outcome = { jobId: job.id, status: "failed", error: { code: "fenced", message: `Stopped: ${lease.reason}` } };
    } else {
      await retryWrite(() =>
        updateJobFenced(job.id, epoch, {
          ...reporter.state(),
          status: outcome.status,
          phase: outcome.status === "ok" ? "done" : "failed",
          // A failed job's result may have been recorded by its body (what undo needs): keep it.
          ...(outcome.status === "ok" ? { result: outcome.result ?? null } : {}),
          error: outcome.error?.message ?? null,
          errorCode: outcome.error?.code ?? null,
          finishedAt: new Date(),
        }),
      );
    }
  } finally {
    await lock.release().catch(() => {});
  }
  await retryWrite(async () => {
    await recordAudit({
      actor: job.actor,
      appSlug: job.appSlug,
      action: `job.${job.type}`,
      params: { jobId: job.id, ...job.params },
      result: outcome.status === "ok" ? "ok" : "error",
      message: outcome.error?.message ?? null,
      durationMs: Date.now() - t0,
    });
    return true;
  }, { maxMs: 60_000 });
}

/** Streams a job's phase, progress and log tail to its row (throttled, epoch-guarded, retried through outages). */
class JobReporter {
  private lines: string[] = [];
  private current: { phase: string; progressDone: number | null; progressTotal: number | null } = { phase: "starting", progressDone: null, progressTotal: null };
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private failures = 0;
  private unreachableSince: number | null = null;

  constructor(
    private readonly job: ClaimedJob,
    private readonly epoch: number,
    private readonly lease: Lease,
  ) {}

  context(): JobContext {
    return {
      jobId: this.job.id,
      signal: this.lease.signal,
      log: (line) => this.log(line),
      phase: (name) => {
        // Progress belongs to the phase that reported it: "starting the app (1.5 MB)" was the dump's byte count.
        this.current = { phase: name, progressDone: null, progressTotal: null };
        this.log(`— ${name}`);
      },
      progress: (done, total) => {
        this.current.progressDone = Math.round(done);
        if (total !== undefined) this.current.progressTotal = Math.round(total);
        this.schedule();
      },
      step: async (name, detail) => {
        this.lease.assertLive();
        // The log is best effort here (it catches up); the journal row is what recovery reads.
        await withTimeout(this.flush(), 2000);
        const written = await retryWrite(
          () => appendJournalFenced({ jobId: this.job.id, appId: this.job.appId, step: name, detail }, this.epoch),
          { giveUp: () => this.lease.reason !== null },
        );
        if (written !== true) {
          if (written === false) this.lease.fence(`the journal refused step "${name}": this job no longer holds its lease`);
          this.lease.assertLive();
          throw new FencedError(`step "${name}" could not be recorded`);
        }
        this.lease.assertLive();
        crashPoint(name, env().LIFEBOAT_CRASH_AT);
      },
    };
  }

  log(text: string): void {
    const stamp = new Date().toISOString().slice(11, 19);
    for (const line of text.split("\n")) if (line.trim()) this.lines.push(`${stamp} ${line}`);
    if (this.lines.length > LOG_LINES) this.lines.splice(0, this.lines.length - LOG_LINES);
    this.schedule();
  }

  logText(): string {
    return this.lines.join("\n");
  }

  state() {
    return { ...this.current, log: this.logText() };
  }

  stopTimers(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(delay = FLUSH_MS): void {
    if (this.timer || this.lease.reason) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delay);
    this.timer.unref();
  }

  /** Writes the whole current state; on failure it retries later with backoff, so the row catches up. */
  flush(): Promise<void> {
    this.writing = this.writing.then(async () => {
      try {
        const ok = await withTimeout(updateJobFenced(this.job.id, this.epoch, this.state()), 5000);
        if (ok === false) this.lease.fence("its job row was taken over by recovery");
        if (ok === undefined) throw new Error("metadata write timed out");
        this.failures = 0;
        if (this.unreachableSince !== null) {
          const s = Math.round((Date.now() - this.unreachableSince) / 1000);
          this.unreachableSince = null;
          this.log(`the metadata database did not answer for ${s}s; the job carried on and its log caught up`);
        }
      } catch {
        this.unreachableSince ??= Date.now();
        this.failures++;
        this.schedule(Math.min(5000, 250 * 2 ** this.failures));
      }
    });
    return this.writing;
  }
}
