import fs from "node:fs/promises";
import type { AppView } from "@/lib/db/queries/apps";
import { getAppById, getAppTarget } from "@/lib/db/queries/apps";
import { getBackup, markBackupDeleted, setBackupVerified } from "@/lib/db/queries/backups";
import { markMissingFound } from "@/lib/db/queries/missing-backups";
import { env } from "@/lib/env";
import { deleteDumpFile, dropCloneBackup } from "@/lib/ops/delete-backup";
import { verifyDumpFile } from "@/lib/ops/dump";
import { OpError } from "@/lib/ops/errors";
import { checkBackupFile } from "@/lib/ops/integrity";
import { resolveInside } from "@/lib/ops/paths";
import { listCloneBackupsOnServer } from "@/lib/ops/server-backups";
import { probeServer } from "@/lib/ops/server-info";
import { recordIntegrityFailure } from "./backup-integrity";
import { startJob, type ClaimedJob, type JobBody } from "./runner";

async function requireBackup(app: AppView, backupId: number) {
  const backup = await getBackup(app.id, backupId);
  if (!backup) throw new OpError("not_found", `Backup #${backupId} is not a backup of ${app.slug}.`);
  return backup;
}

/**
 * Re-reads a backup fully: a dump is read back by pg_restore (or its trailer checked) and its checksum
 * compared with the one recorded; a clone must still exist on the server.
 */
export async function startVerify(app: AppView, backupId: number, actor: string) {
  const backup = await requireBackup(app, backupId);
  // A missing dump is verified to find out whether its file is back (and is still the bytes Lifeboat wrote).
  if (backup.status !== "ok" && !(backup.status === "missing" && backup.method === "dump")) {
    throw new OpError("not_verifiable", `${backup.name} is ${backup.status}; only completed backups can be verified.`);
  }
  return startJob({ appId: app.id, appSlug: app.slug, type: "verify", params: { backupId, name: backup.name }, actor });
}

async function jobApp(job: ClaimedJob): Promise<AppView> {
  const app = await getAppById(job.appId);
  if (!app) throw new OpError("not_found", `App #${job.appId} no longer exists.`);
  return app;
}

/** The worker's body for "verify" jobs. */
export const runVerifyJob: JobBody = async (ctx, job) => {
    const app = await jobApp(job);
    const backupId = Number(job.params.backupId);
    const backup = await requireBackup(app, backupId);
    const target = await getAppTarget(app.id);
    let problem: string | null = null;
    if (backup.method === "dump") {
      const file = await resolveInside(app.backupsDir, backup.name, "backup file");
      const exists = await fs.access(file).then(() => true, () => false);
      if (!exists) problem = `the file ${file} is missing${backup.status === "missing" ? "; put it back there, then verify again" : ""}`;
      else if (!backup.sha256) problem = "no sha256 was recorded when it was written, so its bytes cannot be checked";
      else {
        // The checksum gate first: a file that is not what Lifeboat wrote is not handed to pg_restore.
        ctx.phase("checksumming");
        try {
          await checkBackupFile(file, backup.sha256, ctx.signal);
        } catch (e) {
          await recordIntegrityFailure(e, app, backup, job.actor);
          throw e;
        }
        ctx.phase("reading back");
        const server = await probeServer(target, env().PG_BIN);
        const r = await verifyDumpFile(file, backup.format ?? "custom", server.pgRestorePath);
        if (!r.ok) problem = r.reason ?? "it does not read back";
      }
    } else {
      ctx.phase("looking for the clone database on the server");
      const found = await listCloneBackupsOnServer(target, target.database);
      if (!found.some((f) => f.name === backup.name)) problem = `the database ${backup.name} no longer exists on the server`;
    }
    if (!problem && backup.status === "missing") {
      await markMissingFound(app.id, backupId, new Date());
      ctx.log(`${backup.name} is back in ${app.backupsDir}: marked ok again`);
    } else await setBackupVerified(app.id, backupId, problem ? null : new Date(), problem ? `Verification failed: ${problem}` : null);
    // The log states the verdict either way, not only the steps.
    ctx.log(
      problem
        ? `verification FAILED: ${problem}`
        : backup.method === "dump"
          ? `verified: ${backup.name} matches its recorded sha256 and pg_restore read it back completely`
          : `verified: the clone database ${backup.name} exists on the server`,
    );
    if (problem) throw new OpError("verify_failed", `${backup.name} failed verification: ${problem}.`);
    return { backupId, verified: true };
};

/** Deletes one backup under the app's lock (never while a rollback may be using it). */
export async function deleteBackup(app: AppView, backupId: number, confirm: string, actor: string, opts: { endSessions?: boolean } = {}) {
  const backup = await requireBackup(app, backupId);
  if (confirm !== backup.name) throw new OpError("confirm_mismatch", `Type the backup's name (${backup.name}) to confirm.`);
  if (backup.status === "running") throw new OpError("running", `${backup.name} is still being written; wait for its job to end.`);
  const { done } = await startJob({
    appId: app.id,
    appSlug: app.slug,
    type: "delete_backup",
    params: { backupId, name: backup.name, method: backup.method, endSessions: !!opts.endSessions },
    actor,
  });
  const outcome = await done;
  if (outcome.status !== "ok") throw new OpError(outcome.error?.code ?? "delete_failed", outcome.error?.message ?? "Delete failed.");
  return outcome.result;
}

/** The worker's body for "delete_backup" jobs. */
export const runDeleteJob: JobBody = async (ctx, job) => {
      const app = await jobApp(job);
      const backupId = Number(job.params.backupId);
      const backup = await requireBackup(app, backupId);
      const opts = { endSessions: job.params.endSessions === true };
      await ctx.step("delete:start", { backupId, name: backup.name, method: backup.method });
      if (backup.method === "dump") {
        await deleteDumpFile(app.backupsDir, backup.name).catch((e: NodeJS.ErrnoException) => {
          // missing_dir: the backups directory itself is gone (changed setting); the row can still go.
          if (e.code !== "ENOENT" && e.code !== "missing_dir") throw e;
          ctx.log(`${backup.name} was already gone from disk`);
        });
      } else {
        const target = await getAppTarget(app.id);
        await dropCloneBackup(target, target.database, backup.name, { endSessions: opts.endSessions });
      }
      await markBackupDeleted(app.id, backupId);
      return { backupId, name: backup.name };
};
