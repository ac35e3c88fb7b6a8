import { countOkDumps, listOkDumpNames, markDumpsMissing } from "@/lib/db/queries/missing-backups";
import { dumpsAbsentFrom } from "@/lib/ops/missing-dumps";

/**
 * Lifeboat-made dumps (status ok) whose file or .dir is no longer in the app's backups directory become
 * "missing". Files are only looked at. Only Verify turns a missing dump good again (sha256 checked, read
 * back): a same-sized file put back by hand could hold other bytes, and "ok" in a list should mean checked.
 * Returns how many were marked.
 */
export async function markGoneDumpsMissing(appId: number, dir: string): Promise<number> {
  const rows = await listOkDumpNames(appId);
  if (rows.length === 0) return 0;
  const absent = await dumpsAbsentFrom(dir, rows.map((r) => r.name));
  if (!absent || absent.size === 0) return 0;
  return markDumpsMissing(appId, rows.filter((r) => absent.has(r.name)).map((r) => r.id), dir, new Date());
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
