import "server-only";
import { and, desc, eq, lt, or, sql, type SQL } from "drizzle-orm";
import { scrubParams, scrubText } from "@/lib/actions/params";
import { getDb } from "@/lib/db/client";
import { auditLog, type AuditEntry } from "@/lib/db/schema";

export type AuditResult = AuditEntry["result"];

export interface AuditInput {
  /** Who: a user's email, "cli", "system", or null when nobody signed in. */
  actor: string | null;
  actorId?: number | null;
  appSlug?: string | null;
  action: string;
  params?: Record<string, unknown>;
  result: AuditResult;
  message?: string | null;
  durationMs?: number | null;
}

/**
 * Appends one entry (the table refuses UPDATE, DELETE and TRUNCATE). Params are scrubbed here too, so
 * no caller can put a password or a connection string into the log by accident.
 */
export async function recordAudit(entry: AuditInput): Promise<void> {
  await getDb()
    .insert(auditLog)
    .values({
      actorId: entry.actorId ?? null,
      actorEmail: entry.actor,
      appSlug: entry.appSlug ?? null,
      action: entry.action,
      params: scrubParams(entry.params ?? {}),
      result: entry.result,
      message: entry.message == null ? null : scrubText(entry.message).slice(0, 2000),
      durationMs: entry.durationMs == null ? null : Math.round(entry.durationMs),
    });
}

export interface AuditFilter {
  app?: string;
  /** The actor's email, case-insensitive. */
  user?: string;
  /** An exact action ("backups.start") or a prefix before a dot ("backups"). */
  action?: string;
}

const auditColumns = {
  id: auditLog.id,
  at: auditLog.at,
  actorId: auditLog.actorId,
  actorEmail: auditLog.actorEmail,
  appSlug: auditLog.appSlug,
  action: auditLog.action,
  params: auditLog.params,
  result: auditLog.result,
  message: auditLog.message,
  durationMs: auditLog.durationMs,
};
export type AuditRow = Pick<AuditEntry, keyof typeof auditColumns>;

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

function where(filter: AuditFilter, before?: number): SQL | undefined {
  const conds: (SQL | undefined)[] = [];
  if (filter.app) conds.push(eq(auditLog.appSlug, filter.app));
  if (filter.user) conds.push(sql`lower(${auditLog.actorEmail}) = ${filter.user.trim().toLowerCase()}`);
  if (filter.action) {
    conds.push(or(eq(auditLog.action, filter.action), sql`${auditLog.action} like ${`${likeEscape(filter.action)}.%`}`));
  }
  if (before !== undefined) conds.push(lt(auditLog.id, before));
  return conds.length ? and(...conds) : undefined;
}

/** Newest first. `before` is an entry id: pass the last id of a page to get the next (older) page. */
export async function listAudit(opts: AuditFilter & { limit: number; before?: number }): Promise<AuditRow[]> {
  return getDb()
    .select(auditColumns)
    .from(auditLog)
    .where(where(opts, opts.before))
    .orderBy(desc(auditLog.id))
    .limit(Math.min(Math.max(opts.limit, 1), 1000));
}

export const AUDIT_CSV_HEADER = ["id", "time", "actor", "app", "action", "result", "duration_ms", "message", "params"];

/** Rows for the CSV export, newest first, as arrays of cell text (not yet escaped). */
export async function auditCsvRows(filter: AuditFilter, limit = 50_000): Promise<string[][]> {
  const rows = await getDb().select(auditColumns).from(auditLog).where(where(filter)).orderBy(desc(auditLog.id)).limit(limit);
  return rows.map((r) => [
    String(r.id),
    r.at.toISOString(),
    r.actorEmail ?? "",
    r.appSlug ?? "",
    r.action,
    r.result,
    r.durationMs == null ? "" : String(r.durationMs),
    r.message ?? "",
    JSON.stringify(scrubParams(r.params)),
  ]);
}

/**
 * One CSV cell (RFC 4180 quoting). A cell that a spreadsheet would run as a formula (= + - @, or a leading
 * tab/CR) gets a leading apostrophe: the audit log holds text typed by users.
 */
export function csvCell(value: string): string {
  const guarded = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(guarded) || guarded !== guarded.trim() ? `"${guarded.replace(/"/g, '""')}"` : guarded;
}

export function csvLine(cells: string[]): string {
  return cells.map(csvCell).join(",") + "\r\n";
}

/** Distinct apps, actions and actors among recent entries: suggestions for the filter inputs. */
export async function auditFacets(recent = 5000): Promise<{ apps: string[]; actions: string[]; actors: string[] }> {
  const rows = await getDb().execute<{ kind: string; value: string }>(sql`
    with recent as (select app_slug, action, actor_email from ${auditLog} order by id desc limit ${recent})
    select distinct 'app' as kind, app_slug as value from recent where app_slug is not null
    union select distinct 'action', action from recent
    union select distinct 'actor', actor_email from recent where actor_email is not null
    order by 1, 2`);
  const pick = (kind: string) => Array.from(rows, (r) => r).filter((r) => r.kind === kind).map((r) => r.value);
  return { apps: pick("app"), actions: pick("action"), actors: pick("actor") };
}
