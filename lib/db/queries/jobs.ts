import "server-only";
import { and, asc, desc, eq, inArray, sql } from "drizzle-orm";
import { getDb } from "@/lib/db/client";
import { jobs, opJournal, type Job } from "@/lib/db/schema";

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
  actor: jobs.actor,
  owner: jobs.owner,
  startedAt: jobs.startedAt,
  finishedAt: jobs.finishedAt,
  heartbeatAt: jobs.heartbeatAt,
};

export type JobView = Pick<Job, keyof typeof jobColumns>;

export async function getJob(id: number, appId?: number): Promise<JobView | undefined> {
  const where = appId === undefined ? eq(jobs.id, id) : and(eq(jobs.id, id), eq(jobs.appId, appId));
  const [row] = await getDb().select(jobColumns).from(jobs).where(where);
  return row;
}

export async function getRunningJob(appId: number): Promise<JobView | undefined> {
  const [row] = await getDb()
    .select(jobColumns)
    .from(jobs)
    .where(and(eq(jobs.appId, appId), eq(jobs.status, "running")))
    .orderBy(desc(jobs.startedAt))
    .limit(1);
  return row;
}

export async function listJobs(appId: number, limit = 20): Promise<JobView[]> {
  return getDb().select(jobColumns).from(jobs).where(eq(jobs.appId, appId)).orderBy(desc(jobs.id)).limit(limit);
}

export async function listRunningJobs(): Promise<JobView[]> {
  return getDb().select(jobColumns).from(jobs).where(eq(jobs.status, "running")).orderBy(asc(jobs.id));
}

export async function insertJob(values: {
  appId: number;
  type: Job["type"];
  params: Record<string, unknown>;
  actor: string;
  owner: string;
}): Promise<number> {
  const [row] = await getDb()
    .insert(jobs)
    .values({ ...values, status: "running", phase: "starting", heartbeatAt: new Date() })
    .returning({ id: jobs.id });
  return row!.id;
}

export async function updateJob(
  id: number,
  values: Partial<Pick<Job, "phase" | "progressDone" | "progressTotal" | "log" | "heartbeatAt" | "status" | "error" | "result" | "finishedAt">>,
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
        inArray(jobs.type, ["restore", "rollback", "switch_release", "undo"]),
        sql`(${jobs.result} ->> 'changed') = 'true'`,
      ),
    )
    .orderBy(desc(jobs.id))
    .limit(1);
  return row;
}
