"use client";

import { useRouter } from "next/navigation";
import { useActionState, useEffect, useState } from "react";
import { startBackupAction } from "@/app/(dashboard)/apps/[app]/actions";
import { submitWithoutReset } from "@/components/forms/submit-without-reset";
import type { ActionResult } from "@/lib/actions/result";

type Result = ActionResult<{ jobId: number }> | null;

/** "Back up now": method, optional name; then the job's live progress right here. */
export function BackupNowForm({ app, defaultMethod, canClone, cloneReason }: { app: string; defaultMethod: "dump" | "clone"; canClone: boolean; cloneReason?: string }) {
  const [state, formAction, pending] = useActionState<Result, FormData>(startBackupAction, null);
  const [method, setMethod] = useState(defaultMethod);
  const router = useRouter();
  // The page shows the job's progress (one place for job status); fetch it now that the job exists.
  useEffect(() => {
    if (state?.status === "ok") router.refresh();
  }, [state, router]);

  return (
    <div className="space-y-3">
      <form onSubmit={submitWithoutReset(() => formAction)} className="flex flex-wrap items-end gap-3" aria-label="Back up now">
        <input type="hidden" name="app" value={app} />
        <label className="flex flex-col text-sm">
          <span className="mb-1 font-medium text-slate-700">Method</span>
          <select
            name="method"
            value={method}
            onChange={(e) => setMethod(e.target.value as "dump" | "clone")}
            className="rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm"
          >
            <option value="dump">pg_dump file (off-database copy)</option>
            <option value="clone" disabled={!canClone}>
              Server-side clone (fastest restore){canClone ? "" : " — needs CREATEDB"}
            </option>
          </select>
        </label>
        {!canClone && cloneReason && <p className="w-full text-xs text-slate-600 sm:order-last">{cloneReason}</p>}
        <label className="flex flex-col text-sm">
          <span className="mb-1 font-medium text-slate-700">Name (optional)</span>
          <input
            name="label"
            placeholder="e.g. pre-v3.0"
            aria-describedby="label-help"
            className="w-44 rounded-md border border-slate-300 px-2 py-1.5 text-sm"
          />
        </label>
        {method === "clone" && (
          <label className="flex items-center gap-2 pb-2 text-sm text-slate-700">
            <input type="checkbox" name="endSessions" className="size-4" />
            End the app&apos;s open sessions if needed
          </label>
        )}
        <button
          type="submit"
          disabled={pending}
          className="rounded-md bg-sky-700 px-4 py-2 text-sm font-semibold text-white hover:bg-sky-800 disabled:opacity-60"
        >
          {pending ? "Starting…" : "Back up now"}
        </button>
      </form>
      <p id="label-help" className="text-xs text-slate-500">
        Without a name the backup is manual (db_backup_manual_&lt;time&gt;); a name makes it a named backup kept until you delete it.
      </p>
      {state?.status === "invalid" && (
        <p className="text-sm text-red-700">
          {Object.entries(state.fieldErrors)
            .map(([k, v]) => `${k}: ${v.join(", ")}`)
            .join("; ") || state.message}
        </p>
      )}
      {state?.status === "error" && (
        <div className="rounded-md border border-red-200 bg-red-50 p-3 text-sm text-red-800" data-testid="backup-error">
          {state.message}
        </div>
      )}
      {state?.status === "ok" && (
        <p role="status" className="text-sm text-slate-600">
          Started job #{state.data.jobId}; its progress shows below.
        </p>
      )}
    </div>
  );
}
