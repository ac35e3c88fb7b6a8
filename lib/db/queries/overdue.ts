import "server-only";
import { sql } from "drizzle-orm";
import { getDb } from "@/lib/db/client";

// The dead-man's switch (lib/jobs/overdue.ts). An app is overdue when its newest verified backup (status ok,
// verified, not deleted, not a file merely found on disk) was taken more than staleAfterHours ago — or, with none
// at all, when the app was registered longer ago than that. Both statements are single conditional UPDATEs: with
// several workers exactly one of them flips each app, so each episode is announced once.
const OVERDUE = sql`coalesce(
    (select max(b.created_at) from backups b
      where b.app_id = apps.id and b.status = 'ok' and b.verified_at is not null and b.deleted_at is null and b.kind <> 'found'),
    apps.created_at) < now() - apps.stale_after_hours * interval '1 hour'`;

export interface NewlyOverdue {
  id: number;
  slug: string;
  staleAfterHours: number;
  lastVerifiedAt: Date | null;
  lastAttemptStatus: string | null;
}

/** Apps that became overdue now (their overdue_since was just set). */
export async function markNewlyOverdue(): Promise<NewlyOverdue[]> {
  const rows = await getDb().execute<{ id: number; slug: string; stale_after_hours: number; last_verified_at: string | null; last_attempt_status: string | null }>(sql`
    update apps set overdue_since = now()
    where overdue_since is null and ${OVERDUE}
    returning id, slug, stale_after_hours,
      (select max(b.created_at) from backups b
        where b.app_id = apps.id and b.status = 'ok' and b.verified_at is not null and b.deleted_at is null and b.kind <> 'found') as last_verified_at,
      (select b.status::text from backups b where b.app_id = apps.id and b.kind <> 'found' order by b.created_at desc limit 1) as last_attempt_status`);
  return rows.map((r) => ({
    id: r.id,
    slug: r.slug,
    staleAfterHours: r.stale_after_hours,
    lastVerifiedAt: r.last_verified_at ? new Date(r.last_verified_at) : null,
    lastAttemptStatus: r.last_attempt_status,
  }));
}

/** Apps whose overdue episode ended (a verified backup landed, or the threshold was raised). */
export async function clearRecovered(): Promise<{ id: number; slug: string }[]> {
  const rows = await getDb().execute<{ id: number; slug: string }>(sql`
    update apps set overdue_since = null where overdue_since is not null and not (${OVERDUE}) returning id, slug`);
  return rows.map((r) => ({ id: r.id, slug: r.slug }));
}
