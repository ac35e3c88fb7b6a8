import { renewLease } from "@/lib/db/queries/jobs";
import { FencedError } from "@/lib/ops/context";
import type { AppLock } from "./lock";

// A running job's proof of life. The owner renews `lease_expires_at` (guarded by its epoch) every renewMs,
// and watches its app-lock session. It fences the job — aborts its signal, which kills its child process
// groups and makes ctx.step refuse — the moment it loses the lock session, learns that recovery took the
// job over, or cannot renew before the lease would expire. Only then may another process (the watchdog)
// decide the job is dead, so the two never act at once.

export interface LeaseTiming {
  leaseMs: number;
  renewMs: number;
}

export class Lease {
  private readonly controller = new AbortController();
  private reasonText: string | null = null;
  /** Local time by which the lease has surely expired: measured from *sending* the last renewal that landed. */
  private deadline: number;
  private renewTimer: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private lastOk = Date.now();

  constructor(
    readonly jobId: number,
    readonly epoch: number,
    private readonly lock: AppLock,
    private readonly timing: LeaseTiming,
    claimSentAt: number,
  ) {
    this.deadline = claimSentAt + timing.leaseMs;
    lock.onLost(() => this.fence("its app lock session ended (the lock's connection to the metadata database was closed or terminated)"));
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get reason(): string | null {
    return this.reasonText;
  }

  start(): void {
    this.schedule(this.timing.renewMs);
    // Fence before the lease runs out, with a margin, so a takeover can never overlap with our children.
    const margin = Math.min(this.timing.renewMs, this.timing.leaseMs / 4);
    const every = Math.min(250, this.timing.renewMs);
    let lastCheck = Date.now();
    this.deadlineTimer = setInterval(() => {
      const now = Date.now();
      // A timer that fires seconds late means this process itself did not run (SIGSTOP, a debugger, a
      // starved machine): then the database is not the one to blame.
      const stalledMs = now - lastCheck - every;
      lastCheck = now;
      if (now > this.deadline - margin) {
        const s = Math.round((now - this.lastOk) / 1000);
        const why = stalledMs > 2000 ? `this process did not run for ${Math.round(stalledMs / 1000)}s (paused, or starved of CPU)` : "the metadata database did not answer";
        const when = now > this.deadline ? "its lease had expired meanwhile" : "stopped before the lease expired";
        this.fence(`it could not renew its lease for ${s}s (${why}); ${when}`);
      }
    }, every);
    this.deadlineTimer.unref();
  }

  stop(): void {
    clearTimeout(this.renewTimer);
    clearInterval(this.deadlineTimer);
    this.renewTimer = undefined;
  }

  /** Stops the job: aborts its signal (children are killed by lib/ops/exec.ts). The first reason wins. */
  fence(reason: string): void {
    if (this.reasonText) return;
    this.reasonText = reason;
    this.stop();
    this.controller.abort(new FencedError(reason));
  }

  assertLive(): void {
    if (this.reasonText) throw new FencedError(this.reasonText);
  }

  private schedule(ms: number): void {
    if (this.reasonText) return;
    this.renewTimer = setTimeout(() => void this.tick(), ms);
    this.renewTimer.unref();
  }

  private async tick(): Promise<void> {
    if (this.reasonText) return;
    let next = this.timing.renewMs;
    const sent = Date.now();
    try {
      if (!(await this.lock.held())) return; // onLost has fenced
      const renewed = await withTimeout(renewLease(this.jobId, this.epoch, this.timing.leaseMs), 5000);
      if (renewed === false) {
        this.fence("its lease was taken over by recovery (the job had been presumed dead)");
        return;
      }
      if (renewed === true) {
        this.deadline = sent + this.timing.leaseMs;
        this.lastOk = sent;
      } else next = Math.min(next, 1000);
    } catch {
      // The metadata database did not answer: try again soon; the deadline timer fences if it stays away.
      next = Math.min(next, 1000);
    }
    this.schedule(next);
  }
}

/** Resolves with the value, or undefined after ms (the promise itself keeps running). */
export async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Retries a metadata write with backoff until it answers (true/false), `giveUp()` says stop, or maxMs
 * passes. Never rejects: returns undefined when it gave up.
 */
export async function retryWrite(write: () => Promise<boolean>, opts: { maxMs?: number; giveUp?: () => boolean } = {}): Promise<boolean | undefined> {
  const until = Date.now() + (opts.maxMs ?? 5 * 60_000);
  let delay = 250;
  for (;;) {
    try {
      const r = await withTimeout(write(), 5000);
      if (r !== undefined) return r;
    } catch {
      // retried below
    }
    if (opts.giveUp?.() || Date.now() > until) return undefined;
    await sleep(delay);
    delay = Math.min(delay * 2, 5000);
  }
}
