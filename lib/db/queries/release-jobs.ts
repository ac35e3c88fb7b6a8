import "server-only";
import { and, desc, eq, sql } from "drizzle-orm";
import { getDb } from "@/lib/db/client";
import { jobs } from "@/lib/db/schema";

// The guarded release jobs of an app (lib/jobs/release-job.ts): which job a pipeline's call for release R
// belongs to. The release name is in params.release, written when the job is queued.

export interface ReleaseJobRow {
  id: number;
  status: "running" | "ok" | "failed" | "interrupted" | "queued";
  errorCode: string | null;
  leaseExpiresAt: Date | null;
}

/** The newest release job of `appId` for `release`, if any. */
export async function getNewestReleaseJob(appId: number, release: string): Promise<ReleaseJobRow | undefined> {
  const [row] = await getDb()
    .select({ id: jobs.id, status: jobs.status, errorCode: jobs.errorCode, leaseExpiresAt: jobs.leaseExpiresAt })
    .from(jobs)
    .where(and(eq(jobs.appId, appId), eq(jobs.type, "release"), sql`${jobs.params} ->> 'release' = ${release}`))
    .orderBy(desc(jobs.id))
    .limit(1);
  return row;
}
