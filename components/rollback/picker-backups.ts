import type { BackupView } from "@/lib/db/queries/backups";

/** What the backup picker shows for one backup: enough to choose without opening the table. */
export interface PickerBackup {
  id: number;
  name: string;
  /** The operator's name for it ("v2.0.0"); shown before the generated name. */
  label: string | null;
  method: "dump" | "clone";
  kind: BackupView["kind"];
  createdAt: string;
  sizeBytes: number | null;
  release: string | null;
  verifiedAt: string | null;
  /**
   * Listed so the operator sees it, but never selectable: its file changed after Lifeboat wrote it
   * (lib/ops/integrity.ts), or it is no longer in the backups directory (lib/jobs/missing-backups.ts).
   */
  unusable: "tampered" | "missing" | null;
}

/** The backups a restore may start from (ok) plus the tampered and missing ones, shown disabled. Pure; server side. */
export function pickerBackups(backups: readonly Pick<BackupView, Exclude<keyof PickerBackup, "unusable"> | "status">[]): PickerBackup[] {
  return backups
    .filter((b) => b.status === "ok" || b.status === "tampered" || b.status === "missing")
    .map((b) => ({
      id: b.id,
      name: b.name,
      label: b.label,
      method: b.method,
      kind: b.kind,
      createdAt: new Date(b.createdAt).toISOString(),
      sizeBytes: b.sizeBytes,
      release: b.release,
      verifiedAt: b.verifiedAt ? new Date(b.verifiedAt).toISOString() : null,
      unusable: b.status === "tampered" || b.status === "missing" ? b.status : null,
    }));
}
