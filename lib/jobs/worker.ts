import os from "node:os";
import type PgBoss from "pg-boss";
import { getAppById } from "@/lib/db/queries/apps";
import { claimJob, getJob } from "@/lib/db/queries/jobs";
import { heartbeatWorker, markWorkerStopped, registerWorker } from "@/lib/db/queries/workers";
import { env, requireEnv } from "@/lib/env";
import { sleep, type Lease } from "./lease";
import { setRecoveryIdentity } from "./liveness";
import { tryLockApp, type AppLock } from "./lock";
import { JOB_QUEUE, startBoss, type JobMessage } from "./queue";
import { probeAllApps } from "./app-probe";
import { applyHealthPolicies, applyHealthPolicy } from "./health-policy";
import { checkOverdueApps } from "./overdue";
import { scheduleSync } from "./schedules";
import { startDueDrills } from "./drill-job";
import { runWatchdog } from "./watchdog";
import { startNotifyConsumer } from "@/lib/notify/deliver";
import { jobBodies } from "./worker-bodies";
import { runClaimedJob } from "./worker-run";

// A worker process (npm run worker): takes jobs from the queue, runs each under a lease while holding its
// app's lock, and reconciles dead jobs (its own watchdog). Any number of workers may share one metadata
// database: one job per app (the jobs_one_active_per_app index and the app lock), different apps side by side.

export interface WorkerHandle {
  id: number;
  owner: string;
  /** Jobs running now. */
  running(): number;
  /** Stops taking jobs, fences the running ones (the watchdog reconciles them), stops pg-boss. */
  stop(reason?: string): Promise<void>;
}

export interface WorkerOptions {
  name?: string;
  log?: (line: string) => void;
}

export async function startWorker(opts: WorkerOptions = {}): Promise<WorkerHandle> {
  const e = env();
  const log = opts.log ?? ((line: string) => console.log(`[worker] ${line}`));
  const name = opts.name ?? e.LIFEBOAT_WORKER_NAME ?? `worker-${process.pid}`;
  const host = os.hostname();
  const id = await registerWorker({ name, host, pid: process.pid });
  const owner = `${name}@${host}:${process.pid}`;
  setRecoveryIdentity({ owner, workerId: id });
  const timing = { leaseMs: e.LIFEBOAT_LEASE_MS, renewMs: e.LIFEBOAT_LEASE_RENEW_MS };
  const running = new Map<number, { lease?: Lease; done: Promise<void> }>();
  let stopping = false;

  // schedule: true (pg-boss's default) runs its cron monitor here, in every worker; it coordinates itself.
  const cronSeconds = e.LIFEBOAT_CRON_CHECK_SECONDS;
  const boss: PgBoss = await startBoss({ max: 3, schedule: true, cronMonitorIntervalSeconds: cronSeconds, cronWorkerIntervalSeconds: cronSeconds }, (err) =>
    log(`queue: ${err.message}`),
  );
  const schedules = scheduleSync(boss, log);

  async function take(jobId: number): Promise<void> {
    if (stopping) throw new Error("worker stopping");
    const job = await getJob(jobId);
    if (!job || job.status !== "queued") return; // ended meanwhile, or another worker has it
    const app = await getAppById(job.appId);
    const body = jobBodies[job.type];
    // The app lock first, then the claim: a worker never runs a job without the lock.
    let lock: AppLock | null = null;
    for (let i = 0; i < 10 && !lock; i++) {
      lock = await tryLockApp(job.appId);
      if (!lock) await sleep(300); // a recovery or a liveness check holds it for a moment
    }
    if (!lock) throw new Error(`app #${job.appId} is locked by another session`);
    const sent = Date.now();
    const epoch = await claimJob(jobId, id, owner, timing.leaseMs).catch((err: unknown) => {
      void lock!.release();
      throw err;
    });
    if (epoch === null) {
      await lock.release();
      return;
    }
    const slot: { lease?: Lease; done: Promise<void> } = { done: Promise.resolve() };
    running.set(jobId, slot);
    const claimed = { id: jobId, appId: job.appId, appSlug: app?.slug ?? String(job.appId), type: job.type, params: job.params, actor: job.actor };
    const missing = async () => {
      throw new Error(`this worker cannot run ${job.type} jobs`);
    };
    log(`job #${jobId} (${job.type}, ${claimed.appSlug}) started, epoch ${epoch}`);
    slot.done = runClaimedJob(claimed, epoch, lock, body ?? missing, timing, sent, (lease) => (slot.lease = lease))
      .catch((err: unknown) => log(`job #${jobId}: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => {
        running.delete(jobId);
        log(`job #${jobId} ended${slot.lease?.reason ? ` (stopped: ${slot.lease.reason})` : ""}`);
      });
    await slot.done;
    // A change that failed its health check is undone at once when the app's policy says so.
    if (!stopping) {
      const d = await applyHealthPolicy(jobId).catch((err: Error) => ({ skipped: err.message, undoJobId: undefined }));
      if (d.undoJobId) log(`health policy: job #${jobId} failed its health check; undo started as job #${d.undoJobId}`);
    }
  }

  // One pg-boss poller per slot, each running its job to the end: a busy worker fetches nothing, so a free
  // worker gets the next job. pg-boss retries the message if the claim itself failed; what the job *is*
  // stays in its row and lease (pg-boss's own expiry, capped at 24 h, decides nothing here).
  for (let i = 0; i < e.LIFEBOAT_WORKER_CONCURRENCY; i++) {
    await boss.work<JobMessage>(JOB_QUEUE, { batchSize: 1, pollingIntervalSeconds: 0.5 }, async ([msg]) => {
      if (msg) await take(msg.data.jobId);
    });
  }

  await schedules.sync();
  await startNotifyConsumer(boss, log);

  const beat = setInterval(() => void heartbeatWorker(id).catch(() => {}), timing.renewMs);
  beat.unref();
  // Each pass on its own: one that fails (a metadata blip, a bad row) must not starve the ones after it.
  const passes: [string, () => Promise<unknown>][] = [
    ["watchdog", () => runWatchdog(log)],
    ["health policy", () => applyHealthPolicies(log)],
    ["schedules", () => schedules.sync()],
    ["overdue check", () => checkOverdueApps(log)],
    ["drills", () => startDueDrills(log)],
  ];
  let scanning = false;
  const scan = setInterval(() => {
    if (scanning || stopping) return;
    scanning = true;
    void (async () => {
      for (const [what, pass] of passes) await pass().catch((err: unknown) => log(`${what}: ${err instanceof Error ? err.message : String(err)}`));
    })().finally(() => (scanning = false));
  }, e.LIFEBOAT_WATCHDOG_MS);
  scan.unref();
  let probing = false;
  const probe = setInterval(() => {
    if (probing || stopping) return;
    probing = true;
    void probeAllApps(log).finally(() => (probing = false));
  }, e.LIFEBOAT_APP_PROBE_MS);
  probe.unref();
  log(`${owner} ready (worker #${id}); lease ${timing.leaseMs} ms, renew ${timing.renewMs} ms, watchdog ${e.LIFEBOAT_WATCHDOG_MS} ms`);

  return {
    id,
    owner,
    running: () => running.size,
    async stop(reason = "the worker was stopped") {
      if (stopping) return;
      stopping = true;
      clearInterval(beat);
      clearInterval(scan);
      clearInterval(probe);
      await boss.offWork(JOB_QUEUE).catch(() => {});
      await schedules.stop();
      for (const slot of running.values()) slot.lease?.fence(reason);
      await Promise.all([...running.values()].map((s) => s.done));
      await markWorkerStopped(id).catch(() => {});
      await boss.stop({ graceful: false, wait: true, timeout: 5000 }).catch(() => {});
      log(`${owner} stopped`);
    },
  };
}

const g = globalThis as unknown as { __lifeboatInProcessWorkers?: Map<string, Promise<WorkerHandle>> };

/** Tests only (LIFEBOAT_WORKER_INPROCESS=1): one worker inside this process per metadata database. */
export async function ensureInProcessWorker(): Promise<WorkerHandle> {
  g.__lifeboatInProcessWorkers ??= new Map();
  const url = requireEnv("DATABASE_URL");
  let w = g.__lifeboatInProcessWorkers.get(url);
  if (!w) {
    w = startWorker({ name: "in-process", log: () => {} });
    g.__lifeboatInProcessWorkers.set(url, w);
    w.catch(() => g.__lifeboatInProcessWorkers?.delete(url));
  }
  return w;
}

/** Tests only: stops this process's in-process worker (a crash test's worker process must get the job). */
export async function stopInProcessWorker(): Promise<void> {
  const workers = g.__lifeboatInProcessWorkers;
  if (!workers) return;
  for (const [url, w] of workers) {
    workers.delete(url);
    await (await w.catch(() => undefined))?.stop();
  }
}
