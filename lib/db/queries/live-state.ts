import "server-only";
import { sql } from "drizzle-orm";
import { getDb } from "@/lib/db/client";

// The compact facts the open pages poll (app/api/apps/state, app/api/apps/[app]/state): enough to tell
// "something changed" in one cheap query, never the data itself.

export interface AppStateRow {
  appId: number;
  slug: string;
  deployRoot: string | null;
  updatedAt: string;
  jobId: number | null;
  jobStatus: string | null;
  jobPhase: string | null;
  backupsCount: number;
  backupsMaxId: number | null;
  backupsChangedAt: string | null;
  eventsMaxId: number | null;
  liveness: "up" | "down" | null;
  livenessSince: string | null;
}

/** One row per app (or just `slug`'s), each value a number or text so it compares and serialises cheaply. */
export async function listAppStateRows(slug?: string): Promise<AppStateRow[]> {
  const where = slug === undefined ? sql`true` : sql`a.slug = ${slug}`;
  const rows = await getDb().execute(sql`
    select a.id as "appId", a.slug, a.deploy_root as "deployRoot", a.updated_at::text as "updatedAt",
      j.id as "jobId", j.status::text as "jobStatus", j.phase as "jobPhase",
      coalesce(b.n, 0)::int as "backupsCount", b.max_id as "backupsMaxId", b.changed_at::text as "backupsChangedAt",
      (select max(e.id) from release_events e where e.app_id = a.id)::float8 as "eventsMaxId",
      l.state::text as liveness, l.since::text as "livenessSince"
    from apps a
    left join lateral (select id, status, phase from jobs where app_id = a.id order by id desc limit 1) j on true
    left join lateral (
      select count(*) filter (where deleted_at is null) as n, max(id) as max_id,
        max(greatest(created_at, finished_at, verified_at, size_at, deleted_at)) as changed_at
      from backups where app_id = a.id) b on true
    left join app_liveness l on l.app_id = a.id
    where ${where}
    order by a.slug`);
  return rows as unknown as AppStateRow[];
}

/** The newest audit row's id: the audit page refreshes when it moves. */
export async function latestAuditId(): Promise<number | null> {
  const [row] = (await getDb().execute(sql`select max(id)::float8 as id from audit_log`)) as unknown as { id: number | null }[];
  return row?.id ?? null;
}
