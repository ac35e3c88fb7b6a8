import "server-only";
import { and, asc, desc, eq, inArray, sql } from "drizzle-orm";
import { getDb } from "@/lib/db/client";
import { jobs, opJournal, workers, type Job } from "@/lib/db/schema";
import { changeJobTypes } from "@/lib/ops/change-record";

const jobColumns = {
  id: jobs.id,
  appId: jobs.appId,
  type: jobs.type,
  status: jobs.status,
  phase: jobs.phase,
  progressDone: jobs.progressDone,
  progressTotal: jobs.progressTotal,
  log: jobs.log,
  params: jobs.params,
  result: jobs.result,
  error: jobs.error,
  errorCode: jobs.errorCode,
  actor: jobs.actor,
  owner: jobs.owner,
  startedAt: jobs.startedAt,
  finishedAt: jobs.finishedAt,
  heartbeatAt: jobs.heartbeatAt,
  workerId: jobs.workerId,
  epoch: jobs.epoch,
  leaseExpiresAt: jobs.leaseExpiresAt,
  fencedReason: jobs.fencedReason,
};

const ACTIVE = ["queued", "running"] as const;

export type JobView = Pick<Job, keyof typeof jobColumns>;

export async function getJob(id: number, appId?: number): Promise<JobView | undefined> {
  const where = appId === undefined ? eq(jobs.id, id) : and(eq(jobs.id, id), eq(jobs.appId, appId));
  const [row] = await getDb().select(jobColumns).from(jobs).where(where);
  return row;
}

/** The app's queued or running job, if any (there is at most one: jobs_one_active_per_app). */
export async function getRunningJob(appId: number): Promise<JobView | undefined> {
  const [row] = await getDb()
    .select(jobColumns)
    .from(jobs)
    .where(and(eq(jobs.appId, appId), inArray(jobs.status, [...ACTIVE])))
    .orderBy(desc(jobs.startedAt))
    .limit(1);
  return row;
}

export async function listJobs(appId: number, limit = 20): Promise<JobView[]> {
  return getDb().select(jobColumns).from(jobs).where(eq(jobs.appId, appId)).orderBy(desc(jobs.id)).limit(limit);
}

export type RunningJobView = JobView & { workerHost: string | null; workerPid: number | null; leaseExpired: boolean };

/** Running jobs with their owner's host and pid, and whether their lease has expired by the database's clock. */
export async function listRunningJobs(): Promise<RunningJobView[]> {
  return getDb()
    .select({
      ...jobColumns,
      workerHost: workers.host,
      workerPid: workers.pid,
      leaseExpired: sql<boolean>`(${jobs.leaseExpiresAt} is null or ${jobs.leaseExpiresAt} < now())`,
    })
    .from(jobs)
    .leftJoin(workers, eq(workers.id, jobs.workerId))
    .where(eq(jobs.status, "running"))
    .orderBy(asc(jobs.id));
}

/** A running job row without a lease (tests: a job whose process is long gone). */
export async function insertJob(values: { appId: number; type: Job["type"]; params: Record<string, unknown>; actor: string; owner: string }): Promise<number> {
  const [row] = await getDb()
    .insert(jobs)
    .values({ ...values, status: "running", phase: "starting", heartbeatAt: new Date() })
    .returning({ id: jobs.id });
  return row!.id;
}

/**
 * Queues a job, or says which job the app is already busy with. Atomic across every process: the partial
 * unique index admits one queued-or-running job per app.
 */
export async function enqueueJob(values: {
  appId: number;
  type: Job["type"];
  params: Record<string, unknown>;
  actor: string;
}): Promise<{ jobId: number } | { busy: JobView | undefined }> {
  try {
    const [row] = await getDb()
      .insert(jobs)
      .values({ ...values, status: "queued", phase: "queued" })
      .returning({ id: jobs.id });
    return { jobId: row!.id };
  } catch (e) {
    const cause = (e as { cause?: { code?: string; constraint_name?: string } }).cause ?? (e as { code?: string; constraint_name?: string });
    if (cause?.code !== "23505") throw e;
    return { busy: await getRunningJob(values.appId) };
  }
}

/** A worker claims a queued job: new epoch (fencing token), owner and lease. Null when it was not queued. */
export async function claimJob(id: number, workerId: number | null, owner: string, leaseMs: number): Promise<number | null> {
  const [row] = await getDb()
    .update(jobs)
    .set({
      status: "running",
      phase: "starting",
      epoch: sql`${jobs.epoch} + 1`,
      workerId,
      owner,
      startedAt: sql`now()`,
      heartbeatAt: sql`now()`,
      leaseExpiresAt: sql`now() + ${leaseMs} * interval '1 millisecond'`,
    })
    .where(and(eq(jobs.id, id), eq(jobs.status, "queued")))
    .returning({ epoch: jobs.epoch });
  return row?.epoch ?? null;
}

/** Renews the lease while the epoch is still ours. False: fenced (taken over or ended). */
export async function renewLease(id: number, epoch: number, leaseMs: number): Promise<boolean> {
  const rows = await getDb()
    .update(jobs)
    .set({ heartbeatAt: sql`now()`, leaseExpiresAt: sql`now() + ${leaseMs} * interval '1 millisecond'` })
    .where(and(eq(jobs.id, id), eq(jobs.epoch, epoch), eq(jobs.status, "running"), sql`${jobs.leaseExpiresAt} > now()`))
    .returning({ id: jobs.id });
  return rows.length > 0;
}

/** Recovery takes a dead job over: bumps the epoch (so its old owner can never write again) and leases it. */
export async function takeOverJob(id: number, seenEpoch: number, owner: string, workerId: number | null, leaseMs: number): Promise<boolean> {
  const rows = await getDb()
    .update(jobs)
    .set({
      epoch: sql`${jobs.epoch} + 1`,
      owner,
      workerId,
      leaseExpiresAt: sql`now() + ${leaseMs} * interval '1 millisecond'`,
    })
    .where(
      and(
        eq(jobs.id, id),
        eq(jobs.epoch, seenEpoch),
        eq(jobs.status, "running"),
        sql`(${jobs.leaseExpiresAt} is null or ${jobs.leaseExpiresAt} < now())`,
      ),
    )
    .returning({ id: jobs.id });
  return rows.length > 0;
}

type JobWrite = Partial<
  Pick<Job, "phase" | "progressDone" | "progressTotal" | "log" | "status" | "error" | "errorCode" | "result" | "finishedAt" | "fencedReason" | "leaseExpiresAt">
>;

/** Writes the job row only while the epoch is ours and the job runs. False: fenced. */
export async function updateJobFenced(id: number, epoch: number, values: JobWrite): Promise<boolean> {
  const rows = await getDb()
    .update(jobs)
    .set(values)
    .where(and(eq(jobs.id, id), eq(jobs.epoch, epoch), eq(jobs.status, "running")))
    .returning({ id: jobs.id });
  return rows.length > 0;
}

/** The owner gives the job up (fenced): why, and a lease that ends now so the watchdog reconciles it at once. */
export async function markJobFenced(id: number, epoch: number, reason: string, log: string): Promise<boolean> {
  return updateJobFenced(id, epoch, { fencedReason: reason, log, leaseExpiresAt: sql`now()` as unknown as Date });
}

/**
 * A journal step, proving the lease in the same statement: inserted only while the epoch is ours and the
 * lease has not expired. False: nothing was written, the job is fenced and must not take the step.
 */
export async function appendJournalFenced(entry: { jobId: number; appId: number; step: string; detail?: Record<string, unknown> }, epoch: number): Promise<boolean> {
  const detail = JSON.stringify(entry.detail ?? {});
  const rows = await getDb().execute(sql`
    insert into ${opJournal} (job_id, app_id, step, status, detail)
    select ${entry.jobId}, ${entry.appId}, ${entry.step}, 'begin', ${detail}::jsonb
    from ${jobs}
    where ${jobs.id} = ${entry.jobId} and ${jobs.epoch} = ${epoch} and ${jobs.status} = 'running' and ${jobs.leaseExpiresAt} > now()
    returning id`);
  return rows.length > 0;
}

/** Queued jobs (their pg-boss message may need sending again after a failed dispatch). */
export async function failQueuedJob(id: number, error: string): Promise<void> {
  await getDb()
    .update(jobs)
    .set({ status: "failed", phase: "failed", error, errorCode: "dispatch_failed", finishedAt: new Date() })
    .where(and(eq(jobs.id, id), eq(jobs.status, "queued")));
}

export async function updateJob(
  id: number,
  values: Partial<Pick<Job, "phase" | "progressDone" | "progressTotal" | "log" | "heartbeatAt" | "status" | "error" | "errorCode" | "result" | "finishedAt">>,
): Promise<void> {
  await getDb().update(jobs).set(values).where(eq(jobs.id, id));
}

export async function appendJournal(entry: {
  jobId: number;
  appId: number;
  step: string;
  status: "begin" | "done";
  detail?: Record<string, unknown>;
}): Promise<void> {
  await getDb().insert(opJournal).values({ ...entry, detail: entry.detail ?? {} });
}

export async function listJournal(jobId: number) {
  return getDb()
    .select({ id: opJournal.id, step: opJournal.step, status: opJournal.status, detail: opJournal.detail, at: opJournal.at })
    .from(opJournal)
    .where(eq(opJournal.jobId, jobId))
    .orderBy(asc(opJournal.id));
}

export async function markJournalReconciled(jobIds: number[]): Promise<void> {
  if (jobIds.length === 0) return;
  await getDb().update(opJournal).set({ reconciledAt: new Date() }).where(inArray(opJournal.jobId, jobIds));
}

/** Records a job's result also when it failed (the runner keeps a result only for jobs that succeed). */
export async function setJobResult(id: number, result: Record<string, unknown>): Promise<void> {
  await getDb().update(jobs).set({ result }).where(eq(jobs.id, id));
}

/**
 * Claims the one health check of a change whose process died before its own (lib/jobs/health-policy.ts): true
 * for exactly one caller, however many workers' scans look at the job at once (the row lock makes the second
 * UPDATE see the first one's mark).
 */
export async function claimRecoveryHealthCheck(id: number): Promise<boolean> {
  const rows = await getDb()
    .update(jobs)
    .set({ result: sql`coalesce(${jobs.result}, '{}'::jsonb) || '{"healthCheckedAfterRecovery": true}'::jsonb` })
    .where(and(eq(jobs.id, id), sql`not coalesce(${jobs.result} ? 'healthCheckedAfterRecovery', false)`))
    .returning({ id: jobs.id });
  return rows.length === 1;
}

/** The health check made after recovery finished a change (lib/jobs/health-policy.ts), kept in its result as evidence. */
export async function setRecoveryHealth(id: number, health: { http: Record<string, unknown> | null; db: { ok: boolean } }): Promise<void> {
  await getDb()
    .update(jobs)
    .set({ result: sql`coalesce(${jobs.result}, '{}'::jsonb) || jsonb_build_object('health', ${JSON.stringify(health)}::jsonb)` })
    .where(eq(jobs.id, id));
}

/**
 * The newest restore, rollback, release switch or undo of the app that changed something (its result says
 * `changed: true`): the only one that may be undone.
 */
export async function getLatestChangeJob(appId: number): Promise<JobView | undefined> {
  const [row] = await getDb()
    .select(jobColumns)
    .from(jobs)
    .where(
      and(
        eq(jobs.appId, appId),
        inArray(jobs.type, [...changeJobTypes]),
        sql`(${jobs.result} ->> 'changed') = 'true'`,
      ),
    )
    .orderBy(desc(jobs.id))
    .limit(1);
  return row;
}
