import { recordAudit } from "@/lib/db/queries/audit";
import type { AppView } from "@/lib/db/queries/apps";
import { markBackupTampered, type BackupView } from "@/lib/db/queries/backups";
import { emitAppEvent } from "@/lib/events/emit";
import { OpError } from "@/lib/ops/errors";

// What the checksum gate (lib/ops/integrity.ts) means for the backups table: a dump whose bytes are not the
// ones Lifeboat wrote is marked "tampered" (red badge, no restore button, never a default) and audited.

/** Before any job: a dump already marked tampered or missing, or one with no recorded sha256, is not restorable. */
export function assertDumpRestorable(backup: Pick<BackupView, "id" | "name" | "method" | "status" | "sha256"> & { error?: string | null }, appSlug: string): void {
  if (backup.method !== "dump") return;
  if (backup.status === "missing") {
    throw new OpError(
      "missing_file",
      `The file of ${backup.name} is missing (${backup.error ?? "not found in the backups directory"}). Put it back there and press Verify (or run: npm run lifeboat -- verify ${appSlug} --backup ${backup.id}), or pick another backup.`,
    );
  }
  if (backup.status === "tampered") {
    throw new OpError(
      "tampered",
      `${backup.name} is marked tampered: its file changed after Lifeboat wrote it, so it is never restored. Pick another backup, and find out who can write to the backups directory.`,
    );
  }
  if (!backup.sha256) {
    throw new OpError(
      "no_checksum",
      `${backup.name} has no sha256 recorded by Lifeboat (it was not written by this system, or its write never finished), so Lifeboat will not restore it.`,
    );
  }
}

/** After a failure: when the gate found the file changed, the backup is marked tampered and that is audited. */
export async function recordIntegrityFailure(e: unknown, app: Pick<AppView, "id" | "slug">, backup: Pick<BackupView, "id" | "name" | "method">, actor: string): Promise<void> {
  if (!(e instanceof OpError) || e.code !== "tampered" || backup.method !== "dump") return;
  await markBackupTampered(app.id, backup.id, e.message);
  await recordAudit({
    actor,
    appSlug: app.slug,
    action: "backups.tampered",
    params: { backupId: backup.id, name: backup.name },
    result: "denied",
    message: e.message,
  });
  await emitAppEvent({ appId: app.id, kind: "backup.tampered", summary: `${app.slug}: backup ${backup.name} is tampered. ${e.message}`, details: { backupId: backup.id, name: backup.name } });
}
