import "server-only";
import { and, asc, desc, eq, inArray, isNotNull, isNull, ne, or, sql, type SQL } from "drizzle-orm";
import type { Role } from "@/lib/auth/roles";
import { getDb } from "@/lib/db/client";
import { backups, type Backup } from "@/lib/db/schema";

export const live = (appId: number) => and(eq(backups.appId, appId), isNull(backups.deletedAt));

/**
 * A good backup of the app's data — one definition for the app page's "last good backup", the apps list and
 * staleness (they once disagreed right after a rollback): ok; not a pre-rollback copy (it holds the data just rolled
 * away from); a file found on disk only once adopted (Lifeboat read it and recorded its checksum).
 */
export const goodBackup = and(eq(backups.status, "ok"), ne(backups.kind, "pre_rollback"), or(ne(backups.kind, "found"), isNotNull(backups.adoptedAt)))!;

/** A backup as lists and pages show it: the recorded identity and fingerprint are read only by a restore (getBackupRecord). */
export type BackupView = Omit<Backup, "deletedAt" | "appId" | "identity" | "fingerprint">;

export const backupColumns = {
  id: backups.id,
  name: backups.name,
  method: backups.method,
  kind: backups.kind,
  format: backups.format,
  status: backups.status,
  label: backups.label,
  sizeBytes: backups.sizeBytes,
  sizeAt: backups.sizeAt,
  sha256: backups.sha256,
  createdAt: backups.createdAt,
  finishedAt: backups.finishedAt,
  durationMs: backups.durationMs,
  verifiedAt: backups.verifiedAt,
  createdBy: backups.createdBy,
  release: backups.release,
  forRelease: backups.forRelease,
  pinned: backups.pinned,
  pinnedBy: backups.pinnedBy,
  pinnedRole: backups.pinnedRole,
  adminPinnedAt: backups.adminPinnedAt,
  error: backups.error,
  jobId: backups.jobId,
  stats: backups.stats,
  restoreBlockers: backups.restoreBlockers,
  adoptedAt: backups.adoptedAt,
  adoptedBy: backups.adoptedBy,
  drilledAt: backups.drilledAt,
  drillOk: backups.drillOk,
};

export async function listBackups(appId: number): Promise<BackupView[]> {
  return getDb().select(backupColumns).from(backups).where(live(appId)).orderBy(desc(backups.createdAt), desc(backups.id));
}

/** A backup of this app (the app is part of the where: an id from another app is not found). */
export async function getBackup(appId: number, id: number): Promise<BackupView | undefined> {
  const [row] = await getDb().select(backupColumns).from(backups).where(and(live(appId), eq(backups.id, id)));
  return row;
}

export async function getBackupByJob(jobId: number): Promise<(BackupView & { appId: number }) | undefined> {
  const [row] = await getDb()
    .select({ ...backupColumns, appId: backups.appId })
    .from(backups)
    .where(eq(backups.jobId, jobId));
  return row;
}

export async function nameTaken(appId: number, method: "dump" | "clone", name: string): Promise<boolean> {
  const [row] = await getDb()
    .select({ id: backups.id })
    .from(backups)
    .where(and(live(appId), eq(backups.method, method), eq(backups.name, name)));
  return !!row;
}

/** The size of the app's newest completed dump in this format: what the next one will roughly need. */
export async function lastDumpBytes(appId: number, format: "custom" | "plain" | "directory"): Promise<number | null> {
  const [row] = await getDb()
    .select({ sizeBytes: backups.sizeBytes })
    .from(backups)
    .where(and(eq(backups.appId, appId), eq(backups.method, "dump"), eq(backups.format, format), eq(backups.status, "ok"), sql`${backups.sizeBytes} > 0`))
    .orderBy(desc(backups.createdAt))
    .limit(1);
  return row?.sizeBytes ?? null;
}

export async function insertBackup(values: {
  appId: number;
  name: string;
  method: "dump" | "clone";
  kind: Backup["kind"];
  format: Backup["format"];
  label?: string | null;
  createdBy: string;
  release: string | null;
  forRelease?: string | null;
  jobId: number | null;
  stats?: Backup["stats"];
  pinned?: boolean;
}): Promise<number> {
  const [row] = await getDb()
    .insert(backups)
    .values({ ...values, status: "running" })
    .returning({ id: backups.id });
  return row!.id;
}

export async function finishBackup(
  id: number,
  values: Partial<Pick<Backup, "status" | "sizeBytes" | "sha256" | "verifiedAt" | "error" | "durationMs" | "identity" | "fingerprint" | "restoreBlockers">>,
): Promise<void> {
  const now = new Date();
  await getDb()
    .update(backups)
    .set({ ...values, finishedAt: now, ...(values.sizeBytes !== undefined ? { sizeAt: now } : {}) })
    .where(eq(backups.id, id));
}

/** What a backup recorded of its database (identity, fingerprint): null for backups taken before Lifeboat did. */
export async function getBackupRecord(appId: number, id: number): Promise<Pick<Backup, "identity" | "fingerprint"> | null> {
  const [row] = await getDb()
    .select({ identity: backups.identity, fingerprint: backups.fingerprint })
    .from(backups)
    .where(and(eq(backups.appId, appId), eq(backups.id, id)));
  return row ?? null;
}

export async function markBackupDeleted(appId: number, id: number): Promise<void> {
  await getDb().update(backups).set({ deletedAt: new Date() }).where(and(eq(backups.appId, appId), eq(backups.id, id)));
}

/**
 * Pins or unpins a backup as `by`. The role check is part of the update itself: a backup an admin pinned
 * is unpinned only by an admin, and a later pin by a lower role does not take the admin's pin over.
 * Returns false when nothing changed because the role was too low (or the backup is not this app's).
 */
export async function setBackupPinned(appId: number, id: number, pinned: boolean, by: { email: string; role: Role }): Promise<boolean> {
  const adminPin = and(eq(backups.pinned, true), eq(backups.pinnedRole, "admin"));
  if (pinned) {
    const isAdmin = by.role === "admin";
    const rows = await getDb()
      .update(backups)
      .set({
        pinned: true,
        pinnedBy: isAdmin ? by.email : sql`CASE WHEN ${adminPin} THEN ${backups.pinnedBy} ELSE ${by.email} END`,
        pinnedRole: isAdmin ? "admin" : sql`CASE WHEN ${adminPin} THEN ${backups.pinnedRole} ELSE ${by.role}::role END`,
        ...(isAdmin ? { adminPinnedAt: sql`coalesce(${backups.adminPinnedAt}, now())` } : {}),
      })
      .where(and(live(appId), eq(backups.id, id)))
      .returning({ id: backups.id });
    return rows.length > 0;
  }
  const rows = await getDb()
    .update(backups)
    .set({ pinned: false, pinnedBy: null, pinnedRole: null })
    .where(and(live(appId), eq(backups.id, id), by.role === "admin" ? undefined : or(eq(backups.pinned, false), isNull(backups.pinnedRole), ne(backups.pinnedRole, "admin"))))
    .returning({ id: backups.id });
  return rows.length > 0;
}

export async function setBackupVerified(appId: number, id: number, at: Date | null, error: string | null): Promise<void> {
  await getDb().update(backups).set({ verifiedAt: at, error }).where(and(live(appId), eq(backups.id, id)));
}

/** What retention needs to decide, oldest first. */
export async function listForRetention(appId: number) {
  return getDb()
    .select({
      id: backups.id,
      name: backups.name,
      method: backups.method,
      kind: backups.kind,
      status: backups.status,
      pinned: backups.pinned,
      adminPinnedAt: backups.adminPinnedAt,
      createdAt: backups.createdAt,
      verifiedAt: backups.verifiedAt,
    })
    .from(backups)
    .where(live(appId))
    .orderBy(asc(backups.createdAt));
}

/** Clone databases found on the server that Lifeboat has no row for become "found on server" rows. */
export async function syncFoundClones(appId: number, found: { name: string; sizeBytes: number }[]): Promise<number> {
  return insertFoundRows(appId, "clone", found.map((f) => ({ ...f, takenAt: cloneTimestamp(f.name) ?? null, label: null })), "found on server");
}

/**
 * Rows of kind "found" for backups Lifeboat did not make (clones on the server, dump files on disk), for the
 * names that have no live row of this app and method yet. Returns how many were new.
 */
export async function insertFoundRows(
  appId: number,
  method: "dump" | "clone",
  found: { name: string; sizeBytes: number; takenAt: Date | null; label: string | null }[],
  createdBy: string,
): Promise<number> {
  if (found.length === 0) return 0;
  const known = await getDb()
    .select({ name: backups.name })
    .from(backups)
    .where(and(live(appId), eq(backups.method, method), inArray(backups.name, found.map((f) => f.name))));
  const knownNames = new Set(known.map((k) => k.name));
  const fresh = found.filter((f) => !knownNames.has(f.name));
  if (fresh.length === 0) return 0;
  const now = new Date();
  await getDb()
    .insert(backups)
    .values(
      fresh.map((f) => ({
        appId,
        name: f.name,
        method,
        kind: "found" as const,
        status: "ok" as const,
        label: f.label,
        sizeBytes: f.sizeBytes,
        sizeAt: now,
        createdAt: f.takenAt ?? now,
        createdBy,
        release: null,
        jobId: null,
      })),
    )
    .onConflictDoNothing();
  return fresh.length;
}

/** Clone rows whose database no longer exists on the server are marked deleted (dropped outside Lifeboat). */
export async function markMissingClonesDeleted(appId: number, existing: Set<string>): Promise<void> {
  const rows = await getDb()
    .select({ id: backups.id, name: backups.name })
    .from(backups)
    .where(and(live(appId), eq(backups.method, "clone"), eq(backups.status, "ok")));
  const gone = rows.filter((r) => !existing.has(r.name)).map((r) => r.id);
  if (gone.length) await getDb().update(backups).set({ deletedAt: new Date() }).where(inArray(backups.id, gone));
}

export async function updateCloneSizes(appId: number, sizes: Map<string, number>): Promise<void> {
  const now = new Date();
  for (const [name, size] of sizes) {
    await getDb()
      .update(backups)
      .set({ sizeBytes: size, sizeAt: now })
      .where(and(live(appId), eq(backups.method, "clone"), eq(backups.name, name)));
  }
}

/** Total bytes used by this app's live ok backups, by method. */
export async function backupSpace(appId: number): Promise<{ dump: number; clone: number }> {
  const rows = await getDb()
    .select({ method: backups.method, total: sql<string>`coalesce(sum(${backups.sizeBytes}), 0)` })
    .from(backups)
    .where(and(live(appId), eq(backups.status, "ok")))
    .groupBy(backups.method);
  const out = { dump: 0, clone: 0 };
  for (const r of rows) out[r.method] = Number(r.total);
  return out;
}

function cloneTimestamp(name: string): Date | undefined {
  const m = name.match(/_(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})(?:_\d+)?$/);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m;
  const date = new Date(Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +s!));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * The backup a rollback to `targetRelease` restores by default: the newest backup taken for the
 * release deployed right after the target (`forRelease = successor`: the database the target's code last
 * ran against, taken just before it was replaced; for the default target the successor is the current
 * release), else the newest taken while the target itself was current (`release = target`); `usable` false
 * when that one cannot be restored. Undefined when neither exists: the operator then picks one.
 */
export async function getDefaultRollbackBackup(
  appId: number,
  opts: { successorRelease: string | null; targetRelease: string },
): Promise<{ backup: BackupView; usable: boolean } | undefined> {
  // Candidates include the ones that cannot be used (file missing or changed, a restore this role cannot do): when
  // the newest is one of those, the caller says so instead of falling back silently to an older backup, whose
  // data-loss window is longer (an outside tester's finding).
  const candidate = sql`${backups.status} in ('ok', 'missing', 'tampered')`;
  const newest = async (release: SQL) => {
    const [row] = await getDb()
      .select(backupColumns)
      .from(backups)
      .where(and(live(appId), candidate, release))
      .orderBy(desc(backups.createdAt), desc(backups.id))
      .limit(1);
    return row;
  };
  const backup = (opts.successorRelease ? await newest(eq(backups.forRelease, opts.successorRelease)) : undefined) ?? (await newest(eq(backups.release, opts.targetRelease)));
  // A backup this role could not restore (lib/ops/restorability.ts) is never used as the default.
  return backup && { backup, usable: backup.status === "ok" && (backup.restoreBlockers?.length ?? 0) === 0 };
}

/**
 * When the live database was last replaced by a swap (every swap keeps the old one as a pre-rollback
 * backup, deleted rows included): pg_stat_database counters from before then belong to another database.
 */
export async function lastSwapAt(appId: number): Promise<Date | null> {
  const [row] = await getDb()
    .select({ at: sql<string | null>`max(${backups.createdAt})` })
    .from(backups)
    .where(and(eq(backups.appId, appId), eq(backups.kind, "pre_rollback"), sql`${backups.status} <> 'failed'`));
  return row?.at ? new Date(row.at) : null;
}

/** A live (not deleted) backup row by method and name. */
export async function getBackupByName(appId: number, method: "dump" | "clone", name: string): Promise<BackupView | undefined> {
  const [row] = await getDb()
    .select(backupColumns)
    .from(backups)
    .where(and(live(appId), eq(backups.method, method), eq(backups.name, name)));
  return row;
}

/** Pre-rollback rows a job recorded (recovery finishes or removes them). */
export async function listBackupsOfJob(jobId: number): Promise<(BackupView & { appId: number; deleted: boolean })[]> {
  const rows = await getDb()
    .select({ ...backupColumns, appId: backups.appId, deletedAt: backups.deletedAt })
    .from(backups)
    .where(eq(backups.jobId, jobId))
    .orderBy(asc(backups.id));
  return rows.map(({ deletedAt, ...r }) => ({ ...r, deleted: deletedAt !== null }));
}

/** Marks a backup whose file no longer has its recorded sha256: never restored, never a default, kept as evidence. */
export async function markBackupTampered(appId: number, id: number, error: string): Promise<void> {
  await getDb()
    .update(backups)
    .set({ status: "tampered", verifiedAt: null, error })
    .where(and(live(appId), eq(backups.id, id)));
}
