import "server-only";
import { and, asc, desc, eq, gte, isNotNull, isNull, notInArray, sql } from "drizzle-orm";
import { getDb } from "@/lib/db/client";
import { apps, backups, jobs } from "@/lib/db/schema";
import { restoreDrills, type RestoreDrill } from "@/lib/db/schema-drills";
import { backupColumns, live, type BackupView } from "./backups";

// Restore drills (lib/jobs/drill-job.ts): their evidence, the backup's "restore-tested" mark, and what the
// rollback dialog predicts a restore's duration from.

export type DrillRecord = Omit<RestoreDrill, "id" | "at">;

/** Records a drill's evidence and marks the backup restore-tested (or not) as of now. */
export async function recordDrill(d: DrillRecord): Promise<number> {
  return getDb().transaction(async (tx) => {
    const [row] = await tx.insert(restoreDrills).values(d).returning({ id: restoreDrills.id });
    await tx.update(backups).set({ drilledAt: new Date(), drillOk: d.ok }).where(and(eq(backups.appId, d.appId), eq(backups.id, d.backupId)));
    return row!.id;
  });
}

/** A drill with no backup named: the newest verified backup of the app (a tampered or unadopted one never is). */
export async function newestVerifiedBackup(appId: number): Promise<BackupView | undefined> {
  const [row] = await getDb()
    .select(backupColumns)
    .from(backups)
    .where(and(live(appId), eq(backups.status, "ok"), isNotNull(backups.verifiedAt), notInArray(backups.kind, ["pre_rollback"])))
    .orderBy(desc(backups.createdAt), desc(backups.id))
    .limit(1);
  return row;
}

export async function listDrillsOfBackup(appId: number, backupId: number, limit = 10): Promise<RestoreDrill[]> {
  return getDb()
    .select()
    .from(restoreDrills)
    .where(and(eq(restoreDrills.appId, appId), eq(restoreDrills.backupId, backupId)))
    .orderBy(desc(restoreDrills.at))
    .limit(limit);
}

/**
 * The last good drill of this app whose backup was closest in size to `bytes` (within a factor of 4), for
 * "restoring this should take about …". Null when none is comparable.
 */
export async function lastDrillOfSimilarSize(appId: number, bytes: number | null): Promise<Pick<RestoreDrill, "restoreMs" | "durationMs" | "backupBytes" | "at" | "backupId"> | null> {
  if (!bytes || bytes <= 0) return null;
  const [row] = await getDb()
    .select({ restoreMs: restoreDrills.restoreMs, durationMs: restoreDrills.durationMs, backupBytes: restoreDrills.backupBytes, at: restoreDrills.at, backupId: restoreDrills.backupId })
    .from(restoreDrills)
    .where(
      and(
        eq(restoreDrills.appId, appId),
        eq(restoreDrills.ok, true),
        isNotNull(restoreDrills.restoreMs),
        sql`${restoreDrills.backupBytes} BETWEEN ${Math.floor(bytes / 4)} AND ${Math.ceil(bytes * 4)}`,
      ),
    )
    .orderBy(sql`abs(ln(greatest(${restoreDrills.backupBytes}, 1)::float8 / ${bytes}::float8))`, desc(restoreDrills.at))
    .limit(1);
  return row ?? null;
}

/**
 * Automatic backups of apps that drill after every automatic backup, finished within `withinMs`, not drilled
 * yet and with no drill job of their own so far (a drill that died is not retried in a loop). Oldest first.
 */
export async function backupsDueForDrill(withinMs: number): Promise<{ appId: number; slug: string; backupId: number }[]> {
  const drillJob = sql`EXISTS (SELECT 1 FROM ${jobs} j WHERE j.app_id = ${backups.appId} AND j.type = 'drill' AND j.params->>'backupId' = ${backups.id}::text)`;
  return getDb()
    .select({ appId: backups.appId, slug: apps.slug, backupId: backups.id })
    .from(backups)
    .innerJoin(apps, eq(apps.id, backups.appId))
    .where(
      and(
        eq(apps.drillAfterBackup, true),
        eq(backups.kind, "automatic"),
        eq(backups.status, "ok"),
        isNull(backups.deletedAt),
        isNull(backups.drilledAt),
        isNotNull(backups.verifiedAt),
        gte(backups.finishedAt, new Date(Date.now() - withinMs)),
        sql`NOT ${drillJob}`,
      ),
    )
    .orderBy(asc(backups.finishedAt));
}

/** The app's drill settings (admin). */
export async function setDrillSettings(appId: number, v: { smokeQuery: string | null; drillAfterBackup: boolean }): Promise<void> {
  await getDb().update(apps).set({ smokeQuery: v.smokeQuery, drillAfterBackup: v.drillAfterBackup, updatedAt: new Date() }).where(eq(apps.id, appId));
}
