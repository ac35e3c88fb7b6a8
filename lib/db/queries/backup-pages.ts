import "server-only";
import { and, count, desc, eq, ilike, or, sql, type SQL } from "drizzle-orm";
import { getDb } from "@/lib/db/client";
import { backups } from "@/lib/db/schema";
import { backupColumns, goodBackup, live, type BackupView } from "./backups";

// What the app page reads about backups when an app has a thousand of them: one page of rows, the picker's
// restorable list, the last good backup and a chart aggregate — never every row.

// 15 rows keep the app page, with its Roll back dialog's picker, under 150 KB of HTML (bench:pages: 159 KB at 20).
export const BACKUP_PAGE_SIZE = 15;

export interface BackupFilter {
  status?: BackupView["status"];
  method?: BackupView["method"];
  /** Matched against the generated name and the operator's label. */
  q?: string;
}

function filtered(appId: number, f: BackupFilter): SQL | undefined {
  const like = f.q ? `%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
  return and(
    live(appId),
    f.status ? eq(backups.status, f.status) : undefined,
    f.method ? eq(backups.method, f.method) : undefined,
    like ? or(ilike(backups.name, like), ilike(backups.label, like)) : undefined,
  );
}

/** One page of backups, newest first, and how many match in all. `page` is 1-based and clamped. */
export async function listBackupsPage(appId: number, f: BackupFilter, page: number, pageSize = BACKUP_PAGE_SIZE) {
  const where = filtered(appId, f);
  const [{ total } = { total: 0 }] = await getDb().select({ total: count() }).from(backups).where(where);
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const current = Math.min(Math.max(1, Math.floor(page) || 1), pages);
  const rows: BackupView[] = await getDb()
    .select(backupColumns)
    .from(backups)
    .where(where)
    .orderBy(desc(backups.createdAt), desc(backups.id))
    .limit(pageSize)
    .offset((current - 1) * pageSize);
  return { rows, total, page: current, pages, pageSize };
}

/** A dump file found on disk is nobody's backup until "verify and adopt" recorded its checksum. */
const notUnadopted = sql`not (${backups.kind} = 'found' and ${backups.method} = 'dump' and ${backups.adoptedAt} is null)`;

/**
 * What the restore picker (and the releases page) offers: good, tampered and missing (shown disabled) backups, newest
 * first, bounded — the newest `limit`, plus up to `keptLimit` older named or pinned ones ("v2.0.0" from last
 * month must stay pickable among a thousand hourly dumps).
 */
export async function listRestorableBackups(appId: number, limit = 25, keptLimit = 15) {
  const newest = await restorable(appId, undefined, limit);
  const kept = await restorable(appId, sql`(${backups.kind} = 'named' or ${backups.pinned})`, keptLimit);
  const seen = new Set(newest.map((b) => b.id));
  return [...newest, ...kept.filter((b) => !seen.has(b.id))].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.id - a.id);
}

function restorable(appId: number, extra: SQL | undefined, limit: number) {
  return getDb()
    .select({
      id: backups.id,
      name: backups.name,
      label: backups.label,
      method: backups.method,
      kind: backups.kind,
      status: backups.status,
      createdAt: backups.createdAt,
      sizeBytes: backups.sizeBytes,
      release: backups.release,
      forRelease: backups.forRelease,
      verifiedAt: backups.verifiedAt,
    })
    .from(backups)
    .where(and(live(appId), sql`${backups.status} in ('ok', 'tampered', 'missing')`, notUnadopted, extra))
    .orderBy(desc(backups.createdAt), desc(backups.id))
    .limit(limit);
}

/**
 * The newest good backup of the app's data. Not a pre-rollback copy: right after a rollback that is the
 * database just rolled away from, holding the bad data; nor a clone found on the server, which Lifeboat
 * did not take. A found dump file counts once adopted: Lifeboat read it in full and recorded its checksum.
 */
export async function getLastGoodBackup(appId: number): Promise<Pick<BackupView, "id" | "name" | "label" | "createdAt"> | undefined> {
  const [row] = await getDb()
    .select({ id: backups.id, name: backups.name, label: backups.label, createdAt: backups.createdAt })
    .from(backups)
    .where(and(live(appId), goodBackup))
    .orderBy(desc(backups.createdAt), desc(backups.id))
    .limit(1);
  return row;
}

export interface SizeBucket {
  method: "dump" | "clone";
  at: Date;
  /** The largest backup in the bucket, and how many there were. */
  maxBytes: number;
  count: number;
}

/**
 * Backup sizes over time in at most `buckets` time slices per method: the chart's points, from SQL. Both CTEs
 * are MATERIALIZED: inlined, the planner (row estimate 1 before the first ANALYZE) re-ran the span aggregate
 * once per backup — 216 ms at 1,000 backups, the app page's whole budget (bench:pages).
 */
export async function backupSizeSeries(appId: number, buckets = 60): Promise<SizeBucket[]> {
  const rows = await getDb().execute<{ method: "dump" | "clone"; at: string; max_bytes: string; n: string }>(sql`
    with b as materialized (
      select ${backups.method} as method, ${backups.createdAt} as created_at, ${backups.sizeBytes} as size_bytes
      from ${backups}
      where ${and(live(appId), eq(backups.status, "ok"), sql`${backups.sizeBytes} is not null`)}
    ), span as materialized (
      select min(created_at) as t0, greatest(extract(epoch from max(created_at) - min(created_at)), 1) as secs from b
    )
    select method, max(created_at) as at, max(size_bytes) as max_bytes, count(*) as n
    from b, span
    group by method, least(floor(extract(epoch from created_at - span.t0) / span.secs * ${buckets}), ${buckets - 1})
    order by at`);
  return rows.map((r) => ({ method: r.method, at: new Date(r.at), maxBytes: Number(r.max_bytes), count: Number(r.n) }));
}
