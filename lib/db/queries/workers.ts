import "server-only";
import { and, eq, gt, isNull, sql } from "drizzle-orm";
import { getDb } from "@/lib/db/client";
import { workers } from "@/lib/db/schema";
import { env } from "@/lib/env";

export async function registerWorker(values: { name: string; host: string; pid: number }): Promise<number> {
  const [row] = await getDb().insert(workers).values(values).returning({ id: workers.id });
  return row!.id;
}

export async function heartbeatWorker(id: number): Promise<void> {
  await getDb().update(workers).set({ heartbeatAt: sql`now()` }).where(eq(workers.id, id));
}

export async function markWorkerStopped(id: number): Promise<void> {
  await getDb().update(workers).set({ stoppedAt: sql`now()` }).where(eq(workers.id, id));
}

/** Workers that have beaten within `withinMs` and not said they stopped. */
export async function countLiveWorkers(withinMs: number): Promise<number> {
  const [row] = await getDb()
    .select({ n: sql<number>`count(*)::int` })
    .from(workers)
    .where(and(isNull(workers.stoppedAt), gt(workers.heartbeatAt, sql`now() - ${withinMs} * interval '1 millisecond'`)));
  return row?.n ?? 0;
}

/** Has any worker beaten within one lease? What the "no worker" banner and the CLI's warning ask. */
export async function anyWorkerAlive(): Promise<boolean> {
  return (await countLiveWorkers(env().LIFEBOAT_LEASE_MS)) > 0;
}
