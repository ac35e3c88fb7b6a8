import { formatBytes, formatDuration } from "@/lib/format";
import { parseChangeRecord } from "@/lib/ops/change-record";

/** What a job proved, from its stored result: for a change the staging check, the lock-out and the health check. */
export function JobEvidence({ result }: { result: Record<string, unknown> | null }) {
  if (!result) return <p className="text-sm text-slate-500">No result recorded (yet).</p>;
  const r = parseChangeRecord(result);
  if (!r) {
    const entries = Object.entries(result).filter(([, v]) => v === null || ["string", "number", "boolean"].includes(typeof v));
    return (
      <dl className="grid gap-x-4 gap-y-1 text-sm sm:grid-cols-[max-content_1fr]" data-testid="job-evidence">
        {entries.map(([k, v]) => (
          <Row key={k} label={k.replace(/([A-Z])/g, " $1").toLowerCase()} value={typeof v === "number" && /bytes/i.test(k) ? formatBytes(v) : String(v)} />
        ))}
      </dl>
    );
  }
  const h = r.health;
  return (
    <dl className="grid gap-x-4 gap-y-1 text-sm sm:grid-cols-[max-content_1fr]" data-testid="job-evidence">
      <Row label="Changed" value={r.changed ? [r.swapped && "database swapped", r.switched && "release switched"].filter(Boolean).join(", ") : "nothing the app uses"} />
      {r.switched && <Row label="Release" value={`${r.previousRelease ?? "none"} → ${r.release ?? "none"}`} />}
      {r.restoredFrom && <Row label="Restored from" value={`${r.restoredFrom.name} (${r.restoredFrom.method}, backup #${r.restoredFrom.backupId})`} />}
      {r.stagingCheck && <Row label="Staging check" value={`${r.stagingCheck.tables} tables readable, ${r.stagingCheck.rows.toLocaleString("en-US")} rows counted`} />}
      {r.lockedOutMs !== null && <Row label="Connections refused for" value={formatDuration(r.lockedOutMs)} />}
      {r.preRollbackDb && <Row label="Previous database kept as" value={r.preRollbackDb} />}
      {h && (
        <Row
          label="Health check"
          value={[
            h.http ? `HTTP ${h.http.ok ? "ok" : "failed"}${h.http.status ? ` (${h.http.status})` : ""} after ${h.http.attempts} attempt(s), ${formatDuration(h.http.ms)}${h.http.error ? `: ${h.http.error}` : ""}` : "no health URL",
            `database ${h.db.ok ? "accepts connections" : `refused: ${h.db.error ?? "?"}`}`,
          ].join(" · ")}
        />
      )}
      {r.recovered && <Row label="Recovery" value="Recovery, not the job itself, finished or reverted this change." />}
      <Row label="Undo" value={r.undo.available ? r.undo.hint : r.undo.hint || "not available"} />
    </dl>
  );
}

function Row({ label, value }: { label: string; value: string }) {
  return (
    <>
      <dt className="font-medium text-slate-600 first-letter:uppercase">{label}</dt>
      <dd className="min-w-0 break-words text-slate-900">{value}</dd>
    </>
  );
}
