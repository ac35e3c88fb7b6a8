import { formatBytes } from "@/lib/format";
import { parseChangeRecord, type ChangeRecord } from "@/lib/ops/change-record";

// A finished job's result in a sentence, for people: the dialog's end state and the CLI's last line (the CLI's
// --json prints the result itself, for scripts).

/** What a finished change did, built from its change record. */
export function describeChange(r: ChangeRecord): string {
  const parts: string[] = [];
  if (r.switched) parts.push(`The app now runs release ${r.release ?? "?"} (was ${r.previousRelease ?? "none"}).`);
  if (r.swapped && r.restoredFrom) parts.push(`Its database ${r.live} now holds the data of ${r.restoredFrom.name}.`);
  else if (r.swapped && r.kind === "undo") parts.push(`Its database ${r.live} is back to what it held before job #${r.undoOf ?? "?"}.`);
  if (r.swapped && r.preRollbackDb) parts.push(`The database it replaced is kept as ${r.preRollbackDb}.`);
  if (!r.changed) parts.push("Nothing the app uses was changed.");
  return parts.join(" ");
}

export function describeJobResult(result: Record<string, unknown> | null | undefined): string {
  if (!result) return "done.";
  const change = parseChangeRecord(result);
  if (change) return describeChange(change);
  if (result.verified === true) return `backup #${String(result.backupId)} verified.`;
  if (result.ok === true && typeof result.tables === "number") {
    const secs = typeof result.restoreMs === "number" ? ` in ${(result.restoreMs / 1000).toFixed(1)} s` : "";
    return `restore drill of ${String(result.name)} passed: ${result.tables} tables, ${String(result.rows)} rows restored${secs}.`;
  }
  if (result.adopted === true) return `${String(result.name)} verified and adopted (sha256 ${String(result.sha256).slice(0, 12)}…); it can be restored now.`;
  if (typeof result.name === "string" && typeof result.method === "string") {
    const pruned = Array.isArray(result.pruned) && result.pruned.length ? ` Retention removed ${result.pruned.length} older backup(s).` : "";
    const size = typeof result.sizeBytes === "number" ? `, ${formatBytes(result.sizeBytes)}` : "";
    return `backup #${String(result.backupId)} ${result.name} (${result.method}${size}) written and verified.${pruned}`;
  }
  if (typeof result.name === "string") return `${result.name}: done.`;
  return Object.entries(result)
    .filter(([, v]) => v === null || typeof v !== "object")
    .map(([k, v]) => `${k} ${String(v)}`)
    .join(", ");
}
