"use client";

import { formatAge, formatBytes } from "@/lib/format";
import type { PickerBackup } from "./picker-backups";

const UNUSABLE: Record<NonNullable<PickerBackup["unusable"]>, string> = { tampered: "⚠ TAMPERED — ", missing: "⚠ FILE MISSING (put it back, then Verify) — " };
const KIND: Partial<Record<PickerBackup["kind"], string>> = { pre_rollback: "pre-rollback copy", found: "found on server", named: "named" };

/** One line per backup: name (and the operator's label), method, age, size, release, verification. */
export function describeBackup(b: PickerBackup): string {
  const parts = [
    b.method === "dump" ? "dump" : "clone",
    `${formatAge(b.createdAt)} ago`,
    formatBytes(b.sizeBytes),
    b.release ? `release ${b.release}` : null,
    b.verifiedAt ? `verified ${formatAge(b.verifiedAt)} ago` : "not verified",
    KIND[b.kind] ?? null,
  ].filter(Boolean);
  return `${b.unusable ? UNUSABLE[b.unusable] : ""}${b.label ? `${b.label} · ` : ""}${b.name} (${parts.join(", ")})`;
}

/**
 * The first option: what "no choice" restores. `defaultName`: the plan's default backup (its name), null when the
 * plan found none usable (it says why), undefined while not known yet.
 */
export function defaultOptionText(defaultName: string | null | undefined): string {
  if (defaultName === null) return "Default: none usable — pick a backup";
  return `Default: ${defaultName ?? "taken just before the current release"}`;
}

export function BackupPicker(props: { backups: PickerBackup[]; value: string; onChange: (v: string) => void; defaultName?: string | null }) {
  const chosen = props.backups.find((b) => String(b.id) === props.value);
  return (
    <div className="space-y-1.5">
      <select
        name="backupId"
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
        aria-label="Backup to restore"
        className="w-full min-w-0 rounded-md border border-slate-300 px-2 py-1.5 text-sm"
      >
        <option value="">{defaultOptionText(props.defaultName)}</option>
        {props.backups.map((b) => (
          <option key={b.id} value={b.id} disabled={b.unusable !== null} className={b.unusable ? "text-red-700" : undefined}>
            {describeBackup(b)}
          </option>
        ))}
      </select>
      {chosen && (
        <p className="rounded border border-slate-200 bg-white px-2 py-1 text-xs break-words text-slate-700" data-testid="picked-backup">
          {describeBackup(chosen)}
        </p>
      )}
    </div>
  );
}
