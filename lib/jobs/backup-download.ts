import { requireAppBySlug } from "@/lib/db/queries/apps";
import { getBackup } from "@/lib/db/queries/backups";
import { openDumpDownload, type DumpDownload } from "@/lib/ops/download";
import { OpError } from "@/lib/ops/errors";
import { resolveInside } from "@/lib/ops/paths";
import { assertDumpRestorable, recordIntegrityFailure } from "./backup-integrity";

/**
 * What the download route streams: a dump of this app whose bytes still match the recorded sha256. Refused:
 * clones (no file), directory-format dumps (a folder), tampered ones, files with no recorded checksum (found on disk, not adopted). A file found
 * changed is marked tampered and audited, as a restore would.
 */
export async function openBackupDownload(slug: string, backupId: number, actor: string, signal?: AbortSignal): Promise<DumpDownload & { name: string }> {
  const app = await requireAppBySlug(slug);
  const backup = await getBackup(app.id, backupId);
  if (!backup) throw new OpError("not_found", `Backup #${backupId} is not a backup of ${app.slug}.`);
  if (backup.method !== "dump") throw new OpError("not_a_file", `${backup.name} is a clone database on the server, not a file; take a dump to download one.`);
  if (backup.format === "directory") {
    throw new OpError(
      "not_a_file",
      `${backup.name} is a directory-format dump (a folder of files), not one file: copy the folder from ${app.backupsDir} on the server, or take a custom-format dump to download one.`,
    );
  }
  if (backup.status !== "ok" && backup.status !== "tampered" && backup.status !== "missing") throw new OpError("not_downloadable", `${backup.name} is ${backup.status}.`);
  assertDumpRestorable(backup, app.slug);
  const file = await resolveInside(app.backupsDir, backup.name, "backup file");
  try {
    return { ...(await openDumpDownload(file, backup.name, backup.sha256, signal)), name: backup.name };
  } catch (e) {
    await recordIntegrityFailure(e, app, backup, actor);
    throw e;
  }
}
