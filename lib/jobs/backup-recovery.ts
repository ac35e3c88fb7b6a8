import { getAppById, getAppTarget } from "@/lib/db/queries/apps";
import { finishBackup, getBackupByJob } from "@/lib/db/queries/backups";
import type { JobView } from "@/lib/db/queries/jobs";
import { env } from "@/lib/env";
import { cloneSteps } from "@/lib/ops/clone";
import { allowConnections } from "@/lib/ops/db-admin";
import { emitAppEvent } from "@/lib/events/emit";
import { reconcileClone } from "@/lib/ops/clone-recovery";
import { dumpSteps } from "@/lib/ops/dump";
import { reconcileDump } from "@/lib/ops/dump-recovery";
import { unknownSteps, type JournalEntry } from "@/lib/ops/journal";
import { probeServer } from "@/lib/ops/server-info";
import { backupJobSteps } from "./backup-steps";

// A backup that died half-way: the dump or the clone reconciles itself (lib/ops), waiting for a pg_dump or a
// CREATE DATABASE that outlived the job; what it kept is recorded as ok, anything else as interrupted.

export async function recoverBackup(job: JobView, journal: readonly JournalEntry[]): Promise<string[]> {
  const decisions = [...unknownSteps(journal, [backupJobSteps, dumpSteps, cloneSteps]), ...backupJobSteps.read(journal).problems];
  const app = await getAppById(job.appId);
  const backup = await getBackupByJob(job.id);
  if (!app || !backup) {
    if (app) await emitAppEvent({ appId: app.id, kind: "backup.failed", summary: `Backup of ${app.slug} (job #${job.id}) was interrupted before it recorded a backup.`, jobId: job.id });
    return [...decisions, "the job stopped before it recorded a backup; nothing to clean up"];
  }
  const target = await getAppTarget(app.id);
  // First, whatever the backup row says: a fenced job may have recorded its backup as failed before its
  // clone could allow connections again (the server was down), and the live database must not stay locked out.
  const disallowed = cloneSteps.read(journal).last("disallowed");
  if (backup.method === "clone" && disallowed && backup.status !== "running") {
    await allowConnections(target, disallowed.source);
    decisions.push(`allowed connections to ${disallowed.source} again`);
  }
  if (backup.status !== "running") return [...decisions, `backup ${backup.name} had already ended as ${backup.status}`];

  if (backup.method === "dump") {
    const server = await probeServer(target, env().PG_BIN);
    const r = await reconcileDump(journal, { target, dir: app.backupsDir, format: backup.format ?? "custom", pgRestore: server.pgRestorePath });
    decisions.push(...r.decisions);
    if (r.outcome === "kept" && r.file === backup.name) {
      await finishBackup(backup.id, { status: "ok", sizeBytes: r.sizeBytes, sha256: r.sha256, verifiedAt: new Date() });
      decisions.push(`recorded ${backup.name} as ok`);
      return decisions;
    }
    if (r.tampered) {
      // A file swapped in after the crash must not be blessed as Lifeboat's (lib/ops/integrity.ts).
      await finishBackup(backup.id, { status: "tampered", error: "Its sha256 is not the one journaled when it was written." });
      await emitAppEvent({ appId: app.id, kind: "backup.tampered", summary: `${app.slug}: backup ${backup.name} is tampered: its sha256 is not the one journaled when it was written (found while recovering job #${job.id}).`, details: { backupId: backup.id, name: backup.name }, jobId: job.id });
      decisions.push(`recorded ${backup.name} as tampered`);
      return decisions;
    }
    const error =
      r.outcome === "left" ? "Interrupted; a file was left in place but not kept (see the job's recovery notes)." : "Interrupted before it finished; nothing usable was left.";
    await finishBackup(backup.id, { status: "interrupted", error });
  } else {
    const r = await reconcileClone(journal, { target });
    decisions.push(...r.decisions);
    if (r.outcome === "complete" && r.cloneName === backup.name) {
      await finishBackup(backup.id, { status: "ok", sizeBytes: r.sizeBytes, verifiedAt: new Date() });
      decisions.push(`recorded ${backup.name} as ok`);
      return decisions;
    }
    const error =
      r.outcome === "still_running"
        ? "Interrupted while the server was still copying; if the copy finishes, Refresh lists it as a found backup."
        : "Interrupted before it finished; nothing usable was left.";
    await finishBackup(backup.id, { status: "interrupted", error });
  }
  decisions.push(`recorded ${backup.name} as interrupted`);
  await emitAppEvent({ appId: app.id, kind: "backup.failed", summary: `Backup ${backup.name} of ${app.slug} (job #${job.id}) was interrupted: its worker died or lost its lease; nothing usable was kept.`, details: { backupId: backup.id, name: backup.name, interrupted: true }, jobId: job.id });
  return decisions;
}
