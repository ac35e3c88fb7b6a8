import os from "node:os";
import type { Job } from "@/lib/db/schema";
import { appendJournal, getRunningJob, insertJob, updateJob } from "@/lib/db/queries/jobs";
import { recordAudit } from "@/lib/db/queries/audit";
import { env } from "@/lib/env";
import { crashPoint, type OpContext } from "@/lib/ops/context";
import { OpError } from "@/lib/ops/errors";
import { ProcessError } from "@/lib/ops/exec";
import { tryLockApp } from "./lock";

export interface JobSpec {
  appId: number;
  appSlug: string;
  type: Job["type"];
  params: Record<string, unknown>;
  actor: string;
}

export interface JobContext extends OpContext {
  jobId: number;
}

export interface JobOutcome {
  jobId: number;
  status: "ok" | "failed";
  result?: Record<string, unknown>;
  error?: { code: string; message: string };
}

export type JobBody = (ctx: JobContext) => Promise<Record<string, unknown> | void>;

const LOG_LINES = 300;
const FLUSH_MS = 300;
const HEARTBEAT_MS = 5000;

/**
 * Starts a long operation as a job: takes the app's lock (or says who holds it), records the job row, runs
 * the body with a context that streams phase, progress and log to the row, and records the outcome.
 * `done` settles when the job ends; it never rejects.
 */
export async function startJob(spec: JobSpec, body: JobBody): Promise<{ jobId: number; done: Promise<JobOutcome> }> {
  const lock = await tryLockApp(spec.appId);
  if (!lock) throw await busyError(spec.appId, spec.appSlug);
  let jobId: number;
  try {
    jobId = await insertJob({
      appId: spec.appId,
      type: spec.type,
      params: spec.params,
      actor: spec.actor,
      owner: `${os.hostname()}:${process.pid}`,
    });
  } catch (e) {
    await lock.release();
    throw e;
  }
  const started = Date.now();
  const reporter = new JobReporter(jobId, spec.appId);
  const done = (async (): Promise<JobOutcome> => {
    let outcome: JobOutcome;
    try {
      const result = (await body(reporter.context())) ?? undefined;
      outcome = { jobId, status: "ok", result };
    } catch (e) {
      const error = describeFailure(e);
      if (e instanceof ProcessError) reporter.log(`${e.argv.join(" ")}\n${e.stderrTail}`);
      reporter.log(`failed: ${error.message}`);
      outcome = { jobId, status: "failed", error };
    }
    try {
      await reporter.finish(outcome);
      await recordAudit({
        actor: spec.actor,
        appSlug: spec.appSlug,
        action: `job.${spec.type}`,
        params: { jobId, ...spec.params },
        result: outcome.status === "ok" ? "ok" : "error",
        message: outcome.error?.message ?? null,
        durationMs: Date.now() - started,
      });
    } finally {
      await lock.release();
    }
    return outcome;
  })();
  return { jobId, done };
}

async function busyError(appId: number, appSlug: string): Promise<OpError> {
  const running = await getRunningJob(appId);
  if (!running) {
    return new OpError("busy", `Another operation on ${appSlug} is starting. Try again in a moment.`);
  }
  const ago = Math.max(1, Math.round((Date.now() - running.startedAt.getTime()) / 1000));
  return new OpError(
    "busy",
    `${appSlug} is busy: job #${running.id} (${running.type}, ${running.phase}) started ${ago}s ago by ${running.actor}. ` +
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

/** Streams a job's phase, progress and log tail to its row, throttled, plus a heartbeat. */
class JobReporter {
  private lines: string[] = [];
  private dirty: Partial<{ phase: string; progressDone: number | null; progressTotal: number | null }> = {};
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private heartbeat: NodeJS.Timeout;

  constructor(
    private readonly jobId: number,
    private readonly appId: number,
  ) {
    this.heartbeat = setInterval(() => this.schedule(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  context(): JobContext {
    return {
      jobId: this.jobId,
      log: (line) => this.log(line),
      phase: (name) => {
        this.dirty.phase = name;
        this.log(`— ${name}`);
      },
      progress: (done, total) => {
        this.dirty.progressDone = Math.round(done);
        if (total !== undefined) this.dirty.progressTotal = Math.round(total);
        this.schedule();
      },
      step: async (name, detail) => {
        // Durable before the step runs: recovery reads this to know how far the job got.
        await this.flush();
        await appendJournal({ jobId: this.jobId, appId: this.appId, step: name, status: "begin", detail });
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

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, FLUSH_MS);
  }

  flush(): Promise<void> {
    const values = { ...this.dirty, log: this.lines.join("\n"), heartbeatAt: new Date() };
    this.dirty = {};
    this.writing = this.writing.then(() => updateJob(this.jobId, values)).catch(() => {});
    return this.writing;
  }

  async finish(outcome: JobOutcome): Promise<void> {
    clearInterval(this.heartbeat);
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
    await updateJob(this.jobId, {
      status: outcome.status,
      phase: outcome.status === "ok" ? "done" : "failed",
      // A failed job has no outcome result, but may have stored one itself (a change record): keep it.
      ...(outcome.result !== undefined ? { result: outcome.result } : {}),
      error: outcome.error?.message ?? null,
      finishedAt: new Date(),
    });
  }
}
