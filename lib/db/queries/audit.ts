import "server-only";
import { and, desc, eq, gt, inArray, lt, or, sql, type SQL } from "drizzle-orm";
import { boundEntry, scrubSecrets, TRUSTED_BOUNDS, UNTRUSTED_BOUNDS, type BoundedEntry } from "@/lib/audit/bound";
import { getDb } from "@/lib/db/client";
import { apps, backups } from "@/lib/db/schema";
import { auditLog, type AuditEntry } from "@/lib/db/schema-audit";

export { csvCell, csvLine } from "@/lib/audit/csv";

export type AuditResult = AuditEntry["result"];

export interface AuditInput {
  /** Who: a user's email, "cli:<user>", "system", or null when nobody signed in. */
  actor: string | null;
  actorId?: number | null;
  appSlug?: string | null;
  action: string;
  params?: Record<string, unknown>;
  result: AuditResult;
  message?: string | null;
  durationMs?: number | null;
  /**
   * false when nobody is signed in (a refused request, a sign-in attempt): the entry is then kept only in
   * truncated form, and refusals are rate-limited. Unset: unauthenticated when there is neither actor nor actorId.
   */
  authenticated?: boolean;
  /** Where an unauthenticated call came from (an address), for the rate limit's buckets. */
  client?: string | null;
}

/** Refused anonymous calls per action and result and minute that get a row of their own (one per client). */
export const ANON_CLIENTS_PER_MINUTE = 10;
// pg_advisory_xact_lock(class, key): serializes the rate limit's decisions across processes.
const THROTTLE_LOCK = [0x4c424155, 1] as const; // "LBAU"

const isAuthenticated = (e: AuditInput) => e.authenticated ?? (e.actorId != null || e.actor != null);

/**
 * Appends one entry (the table refuses UPDATE, DELETE and TRUNCATE; the database chains each row's hash to
 * the previous one). Every text field is bounded and scrubbed here, so no caller can put a password, a
 * connection string or megabytes of someone's input into the log. Refused calls by nobody signed in are
 * rate-limited: per (action, result, client) and minute one row, then only a counter (see recordRefusedAnonymous).
 */
export async function recordAudit(entry: AuditInput): Promise<void> {
  const trusted = isAuthenticated(entry);
  const b = boundEntry(entry, trusted ? TRUSTED_BOUNDS : UNTRUSTED_BOUNDS);
  if (trusted || entry.result === "ok") {
    await getDb().insert(auditLog).values(rowOf(entry, b));
    return;
  }
  await recordRefusedAnonymous(entry, b);
}

function rowOf(entry: AuditInput, b: BoundedEntry): typeof auditLog.$inferInsert {
  return {
    actorId: entry.actorId ?? null,
    actorEmail: b.actor,
    appSlug: b.appSlug,
    action: b.action,
    params: b.client && !isAuthenticated(entry) ? { ...b.params, client: b.client } : b.params,
    result: entry.result,
    message: b.message,
    durationMs: entry.durationMs == null || !Number.isFinite(entry.durationMs) ? null : Math.min(2 ** 31 - 1, Math.max(0, Math.round(entry.durationMs))),
    count: 1,
  };
}

type Tx = Parameters<Parameters<ReturnType<typeof getDb>["transaction"]>[0]>[0];
type BucketRow = { bucket: string; same_window: boolean; suppressed: number; first_at: Date | null; last_at: Date | null };

async function readBucket(tx: Tx, bucket: string): Promise<BucketRow | undefined> {
  const rows = await tx.execute<BucketRow>(sql`
    select bucket, window_start = date_trunc('minute', now()) as same_window, suppressed,
           first_suppressed_at as first_at, last_suppressed_at as last_at
    from audit_throttle where bucket = ${bucket}`);
  return Array.from(rows)[0];
}

async function suppress(tx: Tx, bucket: string) {
  await tx.execute(sql`
    update audit_throttle set suppressed = suppressed + 1,
      first_suppressed_at = coalesce(first_suppressed_at, now()), last_suppressed_at = now()
    where bucket = ${bucket}`);
}

/** The "N similar" row for what a bucket held back. */
async function writeSummary(tx: Tx, action: string, result: AuditResult, client: string, row: Pick<BucketRow, "suppressed" | "first_at" | "last_at">) {
  const when = (d: Date | null) => (d ? new Date(d).toISOString().slice(0, 19).replace("T", " ") : "?");
  await tx.insert(auditLog).values({
    actorId: null,
    actorEmail: null,
    appSlug: null,
    action,
    params: { client, from: row.first_at ? new Date(row.first_at).toISOString() : null, to: row.last_at ? new Date(row.last_at).toISOString() : null },
    result,
    message: `+${row.suppressed} similar refused request${row.suppressed === 1 ? "" : "s"} from ${client} between ${when(row.first_at)} and ${when(row.last_at)} UTC (not signed in; rate-limited to one entry per minute)`,
    count: row.suppressed,
  });
}

/**
 * Refused calls from nobody: the first per (action, result, client) and minute is written (truncated), later
 * ones only counted; the count becomes a "+N similar" row when that bucket's next minute starts or when the
 * log is read (flushAuditThrottle). More than ANON_CLIENTS_PER_MINUTE clients in one minute share one bucket,
 * so made-up addresses cannot multiply the rows either.
 */
async function recordRefusedAnonymous(entry: AuditInput, b: BoundedEntry): Promise<void> {
  const client = b.client ?? "unknown";
  const prefix = `${b.action}|${entry.result}|`;
  await getDb().transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${THROTTLE_LOCK[0]}, ${THROTTLE_LOCK[1]})`);
    let bucket = `${prefix}${client}`;
    let row = await readBucket(tx, bucket);
    if (!row?.same_window) {
      const [{ n }] = Array.from(
        await tx.execute<{ n: number }>(sql`
          select count(*)::int as n from audit_throttle
          where action = ${b.action} and starts_with(bucket, ${prefix}) and window_start = date_trunc('minute', now())`),
      ) as [{ n: number }];
      if (n >= ANON_CLIENTS_PER_MINUTE) {
        bucket = `${prefix}*`;
        row = await readBucket(tx, bucket);
      }
    }
    if (row?.same_window) return suppress(tx, bucket);
    const bucketClient = bucket.slice(prefix.length);
    if (row && row.suppressed > 0) await writeSummary(tx, b.action, entry.result, bucketClient === "*" ? "many clients" : bucketClient, row);
    await tx.execute(sql`
      insert into audit_throttle (bucket, action, window_start, suppressed) values (${bucket}, ${b.action}, date_trunc('minute', now()), 0)
      on conflict (bucket) do update set window_start = excluded.window_start, suppressed = 0,
        first_suppressed_at = null, last_suppressed_at = null`);
    await tx.insert(auditLog).values(rowOf(entry, { ...b, client: bucketClient === "*" ? `${client} (one of many)` : client }));
    // Buckets of past minutes with nothing held back are no longer needed.
    await tx.execute(sql`delete from audit_throttle where suppressed = 0 and window_start < now() - interval '10 minutes'`);
  });
}

/** Writes the "+N similar" rows for everything held back so far, so a reader sees every refused call counted. */
export async function flushAuditThrottle(): Promise<number> {
  return getDb().transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${THROTTLE_LOCK[0]}, ${THROTTLE_LOCK[1]})`);
    const rows = Array.from(
      await tx.execute<BucketRow & { action: string }>(sql`
        select bucket, action, suppressed, first_suppressed_at as first_at, last_suppressed_at as last_at
        from audit_throttle where suppressed > 0 order by bucket`),
    );
    for (const r of rows) {
      const [, result, ...rest] = r.bucket.slice(r.action.length).split("|");
      const client = rest.join("|");
      await writeSummary(tx, r.action, result as AuditResult, client === "*" ? "many clients" : client, r);
      await tx.execute(sql`update audit_throttle set suppressed = 0, first_suppressed_at = null, last_suppressed_at = null where bucket = ${r.bucket}`);
    }
    return rows.length;
  });
}

export interface AuditFilter {
  app?: string;
  /** The actor's email, case-insensitive. */
  user?: string;
  /** An exact action ("backups.start") or a prefix before a dot ("backups"). */
  action?: string;
  /**
   * Hide successful reads logged before reads stopped being audited (READ_ACTIONS), unless the action
   * filter names them. The export keeps everything.
   */
  hideReads?: boolean;
}

/** Actions that only read: no longer audited when they succeed (defineAction's audit.read). */
export const READ_ACTIONS = ["rollback.preview"];

// Reads cut long text in SQL: rows written before entries were bounded can be megabytes, and a page or an
// export must not fetch them whole.
const MAX_SHOWN = 2000;
const auditColumns = {
  id: auditLog.id,
  at: auditLog.at,
  actorId: auditLog.actorId,
  actorEmail: sql<string | null>`left(${auditLog.actorEmail}, 254)`.as("actor_email"),
  appSlug: sql<string | null>`left(${auditLog.appSlug}, 64)`.as("app_slug"),
  action: sql<string>`left(${auditLog.action}, 100)`.as("action"),
  paramsText: sql<string>`left(${auditLog.params}::text, ${MAX_SHOWN})`.as("params_text"),
  result: auditLog.result,
  message: sql<string | null>`left(${auditLog.message}, ${MAX_SHOWN})`.as("message"),
  durationMs: auditLog.durationMs,
  count: auditLog.count,
};
export interface AuditRow extends Pick<AuditEntry, "id" | "at" | "actorId" | "actorEmail" | "appSlug" | "action" | "result" | "message" | "durationMs" | "count"> {
  /** The params as JSON, parsed when whole; a cut-off legacy value comes back as { "…": text }. */
  params: Record<string, unknown>;
}

function parseParams(text: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : { value: v };
  } catch {
    // Cut off (an entry from before params were bounded): keys can no longer be told from values, so
    // scrub the text itself.
    return { "…": `${scrubSecrets(text)}…` };
  }
}

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

function where(filter: AuditFilter, page: { before?: number; after?: number } = {}): SQL | undefined {
  const conds: (SQL | undefined)[] = [];
  if (filter.app) conds.push(eq(auditLog.appSlug, filter.app));
  if (filter.user) conds.push(sql`lower(${auditLog.actorEmail}) = ${filter.user.trim().toLowerCase()}`);
  if (filter.action) {
    conds.push(or(eq(auditLog.action, filter.action), sql`${auditLog.action} like ${`${likeEscape(filter.action)}.%`}`));
  }
  if (filter.hideReads && !filter.action) conds.push(sql`not (${auditLog.action} in ${READ_ACTIONS} and ${auditLog.result} = 'ok')`);
  if (page.before !== undefined) conds.push(lt(auditLog.id, page.before));
  if (page.after !== undefined) conds.push(gt(auditLog.id, page.after));
  return conds.length ? and(...conds) : undefined;
}

/**
 * Newest first, keyset-paginated on id: `before` = the last id of a page gives the next (older) page;
 * `after` = the first id of a page gives the previous (newer) one, still returned newest first.
 */
export async function listAudit(opts: AuditFilter & { limit: number; before?: number; after?: number }): Promise<AuditRow[]> {
  const limit = Math.min(Math.max(opts.limit, 1), 1000);
  const q = getDb().select(auditColumns).from(auditLog).where(where(opts, opts));
  const rows = opts.after !== undefined && opts.before === undefined ? (await q.orderBy(auditLog.id).limit(limit)).reverse() : await q.orderBy(desc(auditLog.id)).limit(limit);
  return rows.map(({ paramsText, ...r }) => ({ ...r, params: parseParams(paramsText) }));
}

export const AUDIT_CSV_HEADER = ["id", "time", "actor", "app", "action", "result", "count", "duration_ms", "message", "params"];

/**
 * The CSV export's rows, newest first, as arrays of cell text (escaped by csvLine), fetched a page at a time
 * so an export of the whole log never holds it in memory.
 */
export async function* auditCsvRows(filter: AuditFilter, pageSize = 1000): AsyncGenerator<string[]> {
  let before: number | undefined;
  for (;;) {
    const rows = await listAudit({ ...filter, limit: pageSize, before });
    for (const r of rows) {
      yield [
        String(r.id),
        r.at.toISOString(),
        r.actorEmail ?? "",
        r.appSlug ?? "",
        r.action,
        r.result,
        String(r.count),
        r.durationMs == null ? "" : String(r.durationMs),
        r.message ?? "",
        JSON.stringify(r.params),
      ];
    }
    if (rows.length < pageSize) return;
    before = rows[rows.length - 1]!.id;
  }
}

/** Distinct apps, actions and actors among recent entries: suggestions for the filter inputs. */
export async function auditFacets(recent = 5000): Promise<{ apps: string[]; actions: string[]; actors: string[] }> {
  const rows = await getDb().execute<{ kind: string; value: string }>(sql`
    with recent as (select left(app_slug, 64) as app_slug, left(action, 100) as action, left(actor_email, 254) as actor_email
                    from ${auditLog} order by id desc limit ${recent})
    select * from (
      select distinct 'app' as kind, app_slug as value from recent where app_slug is not null
      union select distinct 'action', action from recent
      union select distinct 'actor', actor_email from recent where actor_email is not null
    ) f order by 1, 2 limit 600`);
  const pick = (kind: string) => Array.from(rows, (r) => r).filter((r) => r.kind === kind).map((r) => r.value).slice(0, 200);
  return { apps: pick("app"), actions: pick("action"), actors: pick("actor") };
}

/**
 * Display: the names of the backups audit rows refer to by id (`backupId` in their params), deleted ones
 * included — an entry should say "shop_backup_20261201_205528", not "#12". Keyed "<app>:<id>".
 */
export async function backupNamesFor(rows: readonly Pick<AuditRow, "appSlug" | "params">[]): Promise<Map<string, string>> {
  const wanted = new Set<string>();
  for (const r of rows) {
    const id = Number(r.params.backupId);
    if (r.appSlug && Number.isSafeInteger(id) && id > 0) wanted.add(`${r.appSlug}:${id}`);
  }
  if (wanted.size === 0) return new Map();
  const ids = [...new Set([...wanted].map((k) => Number(k.split(":").pop())))];
  const found = await getDb()
    .select({ id: backups.id, name: backups.name, slug: apps.slug })
    .from(backups)
    .innerJoin(apps, eq(apps.id, backups.appId))
    .where(inArray(backups.id, ids));
  return new Map(found.map((b) => [`${b.slug}:${b.id}`, b.name]));
}
