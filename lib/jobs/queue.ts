import PgBoss from "pg-boss";
import { requireEnv } from "@/lib/env";

// Dispatch runs on pg-boss in the metadata database (schema "pgboss"): delivery to one worker, polling,
// retries and, later, schedules. What a job *is* (its row, lease, epoch, journal) stays in Lifeboat's own
// tables: pg-boss's own expiry is capped at 24 h and knows nothing of app locks or child processes.
export const JOB_QUEUE = "lifeboat-jobs";
const SCHEMA = "pgboss";

export interface JobMessage {
  jobId: number;
}

function newBoss(opts: Partial<PgBoss.ConstructorOptions>): PgBoss {
  return new PgBoss({ connectionString: requireEnv("DATABASE_URL"), schema: SCHEMA, application_name: "lifeboat-queue", ...opts });
}

/** A started pg-boss with the queue created (idempotent). The caller stops it. */
export async function startBoss(opts: Partial<PgBoss.ConstructorOptions>, onError: (e: Error) => void): Promise<PgBoss> {
  const boss = newBoss(opts);
  // An EventEmitter 'error' with no listener throws: pg-boss reports lost connections this way.
  boss.on("error", onError);
  await boss.start();
  if (!(await boss.getQueue(JOB_QUEUE))) await boss.createQueue(JOB_QUEUE).catch(() => {});
  return boss;
}

/**
 * Hands a queued job row to the workers. Web, API and CLI processes send and stop at once: they keep no
 * pool open (a CLI must be able to exit) and run no pg-boss maintenance (workers do).
 */
export async function dispatchJob(jobId: number): Promise<void> {
  const boss = await startBoss({ max: 1, supervise: false, schedule: false }, () => {});
  try {
    await boss.send(JOB_QUEUE, { jobId } satisfies JobMessage, { retryLimit: 3, retryDelay: 2, expireInHours: 23 });
  } finally {
    await boss.stop({ graceful: false, wait: true, timeout: 5000 }).catch(() => {});
  }
}
