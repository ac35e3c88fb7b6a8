import { countOkDumps, listOkDumpNames, markDumpsMissing } from "@/lib/db/queries/missing-backups";
import { emitAppEvent } from "@/lib/events/emit";
import { dumpsAbsentFrom } from "@/lib/ops/missing-dumps";

/**
 * Lifeboat-made dumps (status ok) whose file or .dir is no longer in the app's backups directory become
 * "missing". Files are only looked at. Only Verify turns a missing dump good again (sha256 checked, read
 * back): a same-sized file put back by hand could hold other bytes, and "ok" in a list should mean checked.
 * An event (backup.missing) says so once, when they are marked: the next refresh finds them missing already.
 * Returns how many were marked.
 */
export async function markGoneDumpsMissing(app: { id: number; slug: string; backupsDir: string }): Promise<number> {
  const rows = await listOkDumpNames(app.id);
  if (rows.length === 0) return 0;
  const absent = await dumpsAbsentFrom(app.backupsDir, rows.map((r) => r.name));
  if (!absent || absent.size === 0) return 0;
  const marked = await markDumpsMissing(app.id, rows.filter((r) => absent.has(r.name)).map((r) => r.id), app.backupsDir, new Date());
  if (marked.length > 0) {
    const names = marked.map((m) => m.name);
    await emitAppEvent({
      appId: app.id,
      kind: "backup.missing",
      summary:
        `${app.slug}: ${marked.length === 1 ? `the file of backup ${names[0]} is` : `the files of ${marked.length} backups are`} no longer in ` +
        `${app.backupsDir}; ${marked.length === 1 ? "it is" : "they are"} not restorable until put back and verified.`,
      details: { backupIds: marked.map((m) => m.id), names: names.slice(0, 20), dir: app.backupsDir },
    });
  }
  return marked.length;
}

/** Said before (Test connection) and after saving a new backups directory: the recorded dumps stay in the old one. */
export async function backupsDirChangeWarning(app: { id: number; backupsDir: string }, newDir: string): Promise<string | undefined> {
  if (newDir === app.backupsDir) return undefined;
  const n = await countOkDumps(app.id);
  if (n === 0) return undefined;
  return (
    `${n} backup${n === 1 ? "" : "s"} recorded in ${app.backupsDir} will show as missing unless you move ` +
    `${n === 1 ? "it" : "them"} to ${newDir} too (then press Verify on ${n === 1 ? "it" : "each"}).`
  );
}
