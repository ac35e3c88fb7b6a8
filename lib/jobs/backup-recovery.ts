import fs from "node:fs/promises";
import { getAppById, getAppTarget } from "@/lib/db/queries/apps";
import { finishBackup, getBackupByJob } from "@/lib/db/queries/backups";
import { env } from "@/lib/env";
import { sha256File } from "@/lib/ops/checksum";
import { allowConnections } from "@/lib/ops/clone";
import { verifyDumpFile } from "@/lib/ops/dump";
import { resolveInside } from "@/lib/ops/paths";
import { listCloneBackupsOnServer } from "@/lib/ops/server-backups";
import { probeServer } from "@/lib/ops/server-info";
import { registerRecovery } from "./recovery";

// A backup that died half-way: finish it when what it made is complete and verifiable, otherwise remove
// what it left (a .partial file); and never leave the live database refusing connections.
registerRecovery("backup", async (job, journal) => {
  const decisions: string[] = [];
  const app = await getAppById(job.appId);
  const backup = await getBackupByJob(job.id);
  if (!app || !backup) return ["the job stopped before it recorded a backup; nothing to clean up"];
  const target = await getAppTarget(app.id);
  const reached = new Set(journal.map((j) => j.step));
  // First, whatever the backup row says: a fenced job may have recorded its backup as failed before its
  // clone could allow connections again (the server was down), and the live database must not stay locked out.
  if (backup.method === "clone" && reached.has("clone:disallowed")) {
    await allowConnections(target, target.database);
    decisions.push(`allowed connections to ${target.database} again`);
  }
  if (backup.status !== "running") return [...decisions, `backup ${backup.name} had already ended as ${backup.status}`];

  if (backup.method === "dump") {
    const finalPath = await resolveInside(app.backupsDir, backup.name, "backup file");
    const partial = await resolveInside(app.backupsDir, `${backup.name}.partial`, "backup file");
    if (await fs.rm(partial).then(() => true, () => false)) decisions.push(`removed the partial file ${backup.name}.partial`);
    const finalExists = await fs.access(finalPath).then(() => true, () => false);
    if (finalExists) {
      const server = await probeServer(target, env().PG_BIN);
      const check = await verifyDumpFile(finalPath, backup.format ?? "custom", server.pgRestorePath);
      if (check.ok) {
        const { size } = await fs.stat(finalPath);
        await finishBackup(backup.id, { status: "ok", sizeBytes: size, sha256: await sha256File(finalPath), verifiedAt: new Date() });
        decisions.push(`${backup.name} had been written completely; re-verified it and kept it as ok`);
        return decisions;
      }
      decisions.push(`${backup.name} exists but does not verify (${check.reason}); left in place, recorded as interrupted`);
    }
  } else {
    const onServer = await listCloneBackupsOnServer(target, target.database);
    const made = onServer.find((d) => d.name === backup.name);
    if (made) {
      // CREATE DATABASE is atomic: a clone that exists is complete. Keep it rather than lose a backup.
      await finishBackup(backup.id, { status: "ok", sizeBytes: made.sizeBytes, verifiedAt: new Date() });
      decisions.push(`the clone ${backup.name} had been created; kept it as ok`);
      return decisions;
    }
  }
  await finishBackup(backup.id, { status: "interrupted", error: "Interrupted before it finished; nothing usable was left." });
  decisions.push(`recorded ${backup.name} as interrupted`);
  return decisions;
});
