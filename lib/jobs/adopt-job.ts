import type { AppView } from "@/lib/db/queries/apps";
import { getAppById, getAppTarget } from "@/lib/db/queries/apps";
import { getBackup } from "@/lib/db/queries/backups";
import { recordAdoption, recordAdoptionRefused } from "@/lib/db/queries/found-dumps";
import { getRunningJob } from "@/lib/db/queries/jobs";
import { env } from "@/lib/env";
import { OpError } from "@/lib/ops/errors";
import { inspectFoundDump } from "@/lib/ops/found-dumps";
import { markReleasesComplete } from "@/lib/ops/release-markers";
import { probeServer } from "@/lib/ops/server-info";
import { startJob, type JobBody } from "./runner";

// "Verify and adopt" for a dump file found on disk (seed 000's db_backup_*.sql): a full read, the plain-dump
// scan, and the sha256 recorded. Only then can it be restored — through the same checksum gate and
// restricted psql as Lifeboat's own dumps (lib/ops/restore.ts).

async function foundDump(app: AppView, backupId: number) {
  const backup = await getBackup(app.id, backupId);
  if (!backup) throw new OpError("not_found", `Backup #${backupId} is not a backup of ${app.slug}.`);
  if (backup.kind !== "found" || backup.method !== "dump") throw new OpError("not_found_on_disk", `${backup.name} was not found on disk; only found dump files are adopted.`);
  if (backup.adoptedAt) throw new OpError("already_adopted", `${backup.name} was already adopted by ${backup.adoptedBy ?? "someone"}.`);
  return backup;
}

export async function startAdopt(app: AppView, backupId: number, actor: string) {
  const backup = await foundDump(app, backupId);
  return startJob({ appId: app.id, appSlug: app.slug, type: "adopt", params: { backupId, name: backup.name }, actor });
}

/** The worker's body for "adopt" jobs. A refusal is the job's failure, and its reason stays on the row. */
export const runAdoptJob: JobBody = async (ctx, job) => {
  const app = await getAppById(job.appId);
  if (!app) throw new OpError("not_found", `App #${job.appId} no longer exists.`);
  const backupId = Number(job.params.backupId);
  const backup = await foundDump(app, backupId);
  const server = await probeServer(await getAppTarget(app.id), env().PG_BIN);
  try {
    const adopted = await inspectFoundDump(app.backupsDir, backup.name, {
      pgRestore: server.pgRestorePath,
      maxBytes: env().LIFEBOAT_ADOPT_MAX_BYTES,
      signal: ctx.signal,
      phase: (p) => ctx.phase(p),
    });
    if (!(await recordAdoption(app.id, backupId, { ...adopted, by: job.actor }))) {
      throw new OpError("conflict", `${backup.name} changed in Lifeboat's records while it was being read (adopted or deleted meanwhile); nothing recorded.`);
    }
    ctx.log(`adopted ${backup.name}: ${adopted.format} dump, ${adopted.sizeBytes} bytes, sha256 ${adopted.sha256}; restorable from now on (only with these bytes)`);
    return { backupId, name: backup.name, adopted: true, sha256: adopted.sha256, format: adopted.format };
  } catch (e) {
    if (e instanceof OpError && e.code === "not_adoptable") {
      await recordAdoptionRefused(app.id, backupId, e.message);
      ctx.log(`REFUSED: ${e.message}`);
    }
    throw e;
  }
};

/**
 * "Mark existing releases complete" for seed 000's releases/ + current: writes Lifeboat's completion marker
 * into every release that lacks it (lib/ops/release-markers.ts). Refused while a job runs on the app (a
 * deploy or switch in flight); the caller's audit entry names who vouched for them.
 */
export async function markExistingReleasesComplete(app: AppView, actor: string): Promise<{ marked: string[] }> {
  if (!app.deployRoot) throw new OpError("no_deploy_root", `${app.slug} has no deploy root; set it on the settings page first.`);
  const running = await getRunningJob(app.id);
  if (running) throw new OpError("busy", `${app.slug} is running job #${running.id} (${running.type}); try again when it has ended.`);
  const marked = await markReleasesComplete(app.deployRoot, `marked complete by ${actor} at ${new Date().toISOString()} (existing release, adopted by Lifeboat)`);
  return { marked };
}
