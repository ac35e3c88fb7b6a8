"use client";

import { useActionState } from "react";
import { saveDrillSettingsAction } from "@/app/(dashboard)/apps/[app]/backups/actions";
import { submitWithoutReset } from "@/components/forms/submit-without-reset";
import { SubmitButton } from "@/components/ui/submit-button";
import type { ActionResult } from "@/lib/actions/result";

type R = ActionResult<{ saved: boolean }> | null;

/** Restore drills: the smoke query a drill runs against its scratch copy, and "drill every automatic backup". */
export function DrillSettingsForm(props: { app: string; smokeQuery: string | null; drillAfterBackup: boolean }) {
  const [state, action, pending] = useActionState<R, FormData>(saveDrillSettingsAction, null);
  return (
    <form onSubmit={submitWithoutReset(() => action)} className="space-y-3 rounded-lg border border-slate-200 bg-white p-4" data-testid="drill-settings">
      <h2 className="text-base font-semibold">Restore drills</h2>
      <p className="text-sm text-slate-600">
        A drill restores a backup into a scratch database on the app&apos;s server, compares its tables and row counts with what was recorded when the backup was
        taken, runs the smoke query below, and drops the copy. The live database is never touched.
      </p>
      <input type="hidden" name="app" value={props.app} />
      <label className="block space-y-1 text-sm">
        <span className="font-medium">Smoke query (optional)</span>
        <textarea
          name="smokeQuery"
          defaultValue={props.smokeQuery ?? ""}
          rows={2}
          className="w-full rounded-md border border-slate-300 px-2 py-1.5 font-mono text-sm"
          placeholder="SELECT count(*) > 0 FROM orders"
        />
        <span className="block text-xs text-slate-500">
          One SELECT (or WITH … SELECT, VALUES, TABLE), run as the app's role in a read-only transaction with a 30 s statement timeout. The drill fails on an error, on no rows, or when the first value is false.
        </span>
      </label>
      <label className="flex items-center gap-2 text-sm">
        <input type="checkbox" name="drillAfterBackup" defaultChecked={props.drillAfterBackup} />
        Drill every automatic backup (the worker queues it right after the backup)
      </label>
      <div className="flex items-center gap-3">
        <SubmitButton pending={pending}>Save drill settings</SubmitButton>
        {state?.status === "ok" && <span className="text-sm text-green-700">Saved.</span>}
        {state && state.status !== "ok" && <span className="text-sm text-red-700">{state.message}</span>}
      </div>
    </form>
  );
}
