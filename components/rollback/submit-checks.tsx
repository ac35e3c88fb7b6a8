import type { RollbackPreview } from "@/lib/jobs/rollback-job";

/**
 * Sent with a confirmation: what the plan showed (the server refuses if the world changed since — see
 * lib/jobs/rollback-expect.ts) and, for a release marked bad, the explicit "I mean it" checkbox.
 */
export function SubmitChecks({ preview }: { preview: RollbackPreview | null }) {
  if (!preview) return null;
  const bad = preview.targetMarkedBad;
  return (
    <>
      <input type="hidden" name="expectCurrent" value={preview.expect.current} />
      <input type="hidden" name="expectBackupId" value={preview.expect.backupId} />
      <input type="hidden" name="expectLastChange" value={preview.expect.lastChangeJobId} />
      {bad && (
        <label className="flex items-start gap-2 rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-900">
          <input type="checkbox" name="confirmBad" required className="mt-0.5 size-4" data-testid="confirm-bad" />
          <span>
            Release {preview.targetRelease} is marked bad (by {bad.by}
            {bad.note ? `: ${bad.note}` : ""}). Make it current anyway.
          </span>
        </label>
      )}
    </>
  );
}
