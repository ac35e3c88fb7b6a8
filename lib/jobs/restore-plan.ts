import { getBackupRecord, type BackupView } from "@/lib/db/queries/backups";
import { dbIdentitySchema } from "@/lib/ops/db-identity";
import { fingerprintSchema } from "@/lib/ops/fidelity";
import { planFidelity, type FidelityPlan } from "@/lib/ops/restore-fidelity";
import type { TargetDb } from "@/lib/ops/target";

/**
 * What restoring `backup` will give back, from what it recorded when it was taken (parsed: rows written
 * by older versions may lack fields or hold none). Used by the plan preview and by the job itself.
 */
export async function backupFidelity(appId: number, backup: Pick<BackupView, "id" | "method" | "format">, target: TargetDb): Promise<FidelityPlan> {
  const rec = await getBackupRecord(appId, backup.id);
  const identity = rec?.identity ? (dbIdentitySchema.safeParse(rec.identity).data ?? null) : null;
  const fingerprint = rec?.fingerprint ? (fingerprintSchema.safeParse(rec.fingerprint).data ?? null) : null;
  return planFidelity(target, { method: backup.method, format: backup.method === "dump" ? (backup.format ?? "custom") : null, identity, fingerprint });
}
