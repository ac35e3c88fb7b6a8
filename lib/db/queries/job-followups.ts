import "server-only";
import { and, desc, eq, gt, inArray, or, sql } from "drizzle-orm";
import { getDb } from "@/lib/db/client";
import { jobs } from "@/lib/db/schema";

// Queries of the follow-ups the worker runs after a job (lib/jobs/health-policy.ts).

/** The undo job started for `jobId`, if any (by anyone: an operator's undo counts). */
export async function getUndoJobOf(jobId: number): Promise<number | null> {
  const [row] = await getDb()
    .select({ id: jobs.id })
    .from(jobs)
    .where(and(eq(jobs.type, "undo"), sql`(${jobs.params} ->> 'undoOf')::int = ${jobId}`))
    .limit(1);
  return row?.id ?? null;
}

/**
 * Changes that ended failed on their health check since `since`, and changes that were interrupted (their
 * health never checked; recovery finished them) since `interruptedSince`, newest first.
 */
export async function listHealthFailedChanges(types: readonly ("rollback" | "switch_release" | "restore" | "release")[], since: Date, interruptedSince: Date, limit = 20): Promise<number[]> {
  const rows = await getDb()
    .select({ id: jobs.id })
    .from(jobs)
    .where(
      and(
        inArray(jobs.type, [...types]),
        or(and(eq(jobs.status, "failed"), eq(jobs.errorCode, "health_failed"), gt(jobs.finishedAt, since)), and(eq(jobs.status, "interrupted"), gt(jobs.finishedAt, interruptedSince))),
      ),
    )
    .orderBy(desc(jobs.id))
    .limit(limit);
  return rows.map((r) => r.id);
}
