import type { AppView } from "@/lib/db/queries/apps";
import { getAppById, getAppTarget } from "@/lib/db/queries/apps";
import { getBackup, listBackups, nameTaken, type BackupView } from "@/lib/db/queries/backups";
import { backupsDueForDrill, newestVerifiedBackup, recordDrill } from "@/lib/db/queries/drills";
import type { JobView } from "@/lib/db/queries/jobs";
import { env } from "@/lib/env";
import { emitAppEvent } from "@/lib/events/emit";
import { stagingDbName } from "@/lib/ops/backup-names";
import { databaseExists } from "@/lib/ops/catalog";
import { reconcileDrill, runDrill, type DrillSource } from "@/lib/ops/drill";
import { OpError } from "@/lib/ops/errors";
import type { JournalEntry } from "@/lib/ops/journal";
import { resolveInside } from "@/lib/ops/paths";
import { restoreJobsFor } from "@/lib/ops/restore-jobs";
import { probeServer } from "@/lib/ops/server-info";
import { assertDumpRestorable, recordIntegrityFailure } from "./backup-integrity";
import { backupFidelity } from "./restore-plan";
import { startJob, type JobBody } from "./runner";

// Restore drills: "Drill" on a backup, after every automatic backup (apps.drillAfterBackup), or queued by a
// schedule with params {backupId?} — without one, the newest verified backup. Evidence goes to
// restore_drills and the backup's "restore-tested" mark; drill.ok / drill.failed events say how it went.

export const DRILL_SMOKE_TIMEOUT_MS = 30_000;
export const DRILL_AFTER_BACKUP_ACTOR = "lifeboat (drill after backup)";

async function drillableBackup(app: AppView, backupId: number | undefined): Promise<BackupView> {
  const backup = backupId === undefined ? await newestVerifiedBackup(app.id) : await getBackup(app.id, backupId);
  if (!backup) {
    throw new OpError("not_found", backupId === undefined ? `${app.slug} has no verified backup to drill.` : `Backup #${backupId} is not a backup of ${app.slug}.`);
  }
  assertDumpRestorable(backup, app.slug);
  if (backup.status !== "ok") throw new OpError("not_restorable", `${backup.name} is ${backup.status}; only completed backups can be drilled.`);
  return backup;
}

export async function startDrill(app: AppView, backupId: number | undefined, actor: string) {
  const backup = await drillableBackup(app, backupId);
  return startJob({ appId: app.id, appSlug: app.slug, type: "drill", params: { backupId: backup.id, name: backup.name }, actor });
}

/** The worker's body for "drill" jobs. A failed drill is recorded, announced, and fails the job. */
export const runDrillJob: JobBody = async (ctx, job) => {
  const app = await getAppById(job.appId);
  if (!app) throw new OpError("not_found", `App #${job.appId} no longer exists.`);
  const param = job.params.backupId;
  const backup = await drillableBackup(app, param === undefined || param === null ? undefined : Number(param));
  const target = await getAppTarget(app.id);
  const server = await probeServer(target, env().PG_BIN);
  const fidelity = await backupFidelity(app.id, backup, target);
  const taken = async (n: string) => (await nameTaken(app.id, "clone", n)) || (await databaseExists(target, n));
  const scratch = await stagingDbName(target.database, new Date(), taken);
  let source: DrillSource;
  if (backup.method === "dump") {
    const file = await resolveInside(app.backupsDir, backup.name, "backup file");
    const format = backup.format ?? "custom";
    const jobs = format === "custom" ? await restoreJobsFor(file, server.pgRestorePath) : 1;
    source = { kind: "dump", file, sha256: backup.sha256, format, pgRestore: server.pgRestorePath, psql: server.psqlPath, jobs };
  } else {
    source = { kind: "clone", cloneName: backup.name };
  }
  ctx.log(`drill of ${backup.name} (#${backup.id}) into the scratch database ${scratch}`);
  const ev = await runDrill({ target, ctx, scratch, source, fidelity, smokeQuery: app.smokeQuery, smokeTimeoutMs: DRILL_SMOKE_TIMEOUT_MS });
  if (!ev.ok && ev.code === "tampered") await recordIntegrityFailure(new OpError("tampered", ev.error ?? "tampered"), app, backup, job.actor);
  await recordDrill({
    appId: app.id,
    backupId: backup.id,
    jobId: job.id,
    ok: ev.ok,
    backupBytes: backup.sizeBytes,
    restoreMs: ev.restoreMs,
    durationMs: ev.durationMs,
    tables: ev.tables,
    rows: ev.rows,
    differences: ev.differences,
    properties: ev.properties,
    smoke: ev.smoke,
    error: ev.error,
  });
  const result = { backupId: backup.id, name: backup.name, ...ev };
  const summary = ev.ok
    ? `Restore drill of ${backup.name} passed: ${ev.tables} tables, ${ev.rows} rows in ${((ev.restoreMs ?? 0) / 1000).toFixed(1)} s`
    : `Restore drill of ${backup.name} FAILED: ${ev.error}`;
  await emitAppEvent({ appId: app.id, kind: ev.ok ? "drill.ok" : "drill.failed", summary, details: result, jobId: job.id });
  ctx.log(summary);
  if (!ev.ok) throw new OpError(ev.code ?? "drill_failed", summary, { evidence: result });
  return result;
};

/** Recovery of a dead drill: its scratch database is dropped (lib/ops/drill.ts reconcileDrill). */
export async function recoverDrill(job: JobView, journal: readonly JournalEntry[]): Promise<string[]> {
  const target = await getAppTarget(job.appId);
  const recorded = new Set((await listBackups(job.appId)).filter((b) => b.method === "clone").map((b) => b.name));
  return reconcileDrill(journal, { target, recordedBackups: recorded, waitMs: 10_000 });
}

/** The worker's sweep: drills the automatic backups of apps that ask for it. Busy apps are tried next time. */
export async function startDueDrills(log: (line: string) => void, withinMs = 24 * 3600_000): Promise<void> {
  const due = await backupsDueForDrill(withinMs).catch(() => []);
  const seen = new Set<number>();
  for (const d of due) {
    if (seen.has(d.appId)) continue; // one job per app at a time
    seen.add(d.appId);
    const app = await getAppById(d.appId);
    if (!app) continue;
    await startDrill(app, d.backupId, DRILL_AFTER_BACKUP_ACTOR).then(
      ({ jobId }) => log(`drill after backup: ${d.slug} backup #${d.backupId} is drilled by job #${jobId}`),
      (e: unknown) => {
        if (!(e instanceof OpError && e.code === "busy")) log(`drill after backup: ${d.slug} #${d.backupId}: ${e instanceof Error ? e.message : String(e)}`);
      },
    );
  }
}
