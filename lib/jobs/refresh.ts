import { getAppById, getAppTarget, listAppsWithStatus, setAppDbSize } from "@/lib/db/queries/apps";
import { markMissingClonesDeleted, syncFoundClones, updateCloneSizes } from "@/lib/db/queries/backups";
import { markMissingFoundDumpsDeleted, syncFoundDumps } from "@/lib/db/queries/found-dumps";
import { databaseSizes } from "@/lib/ops/catalog";
import { listDumpFilesOnDisk, seedNameKind } from "@/lib/ops/found-dumps";
import { listCloneBackupsOnServer } from "@/lib/ops/server-backups";
import { markGoneDumpsMissing } from "./missing-backups";

// Sizes of clone databases (pg_database_size walks every file) are refreshed here, in the background, and
// cached on the rows; pages never compute them per database on each load. Clones the seed's script made
// earlier (<db>_backup_…) show up as "found on server", dumps seed 000's Ansible wrote as "found on disk".
export async function refreshApp(appId: number): Promise<void> {
  const app = await getAppById(appId);
  if (app) await markGoneDumpsMissing(app);
  if (app) await refreshFoundDumps(appId, app.backupsDir);
  const target = await getAppTarget(appId);
  const clones = await listCloneBackupsOnServer(target, target.database);
  await syncFoundClones(appId, clones);
  await markMissingClonesDeleted(appId, new Set(clones.map((c) => c.name)));
  await updateCloneSizes(appId, new Map(clones.map((c) => [c.name, c.sizeBytes])));
  const sizes = await databaseSizes(target, [target.database]);
  const live = sizes.get(target.database);
  if (live !== undefined) await setAppDbSize(appId, live);
}

async function refreshFoundDumps(appId: number, dir: string): Promise<void> {
  const files = await listDumpFilesOnDisk(dir);
  await syncFoundDumps(appId, files.map((f) => ({ ...f, label: seedNameKind(f.name).label })));
  await markMissingFoundDumpsDeleted(appId, new Set(files.map((f) => f.name)));
}

export async function refreshAllApps(log: (line: string) => void = () => {}): Promise<void> {
  for (const app of await listAppsWithStatus()) {
    await refreshApp(app.id).catch((e) => log(`refresh ${app.slug}: ${e instanceof Error ? e.message : String(e)}`));
  }
}
