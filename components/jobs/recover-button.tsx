"use client";

import { useActionState } from "react";
import { recoverAppAction } from "@/app/(dashboard)/apps/[app]/actions";
import type { ActionResult } from "@/lib/actions/result";

type R = ActionResult<{ reports: { jobId: number | null; decisions: string[]; error?: string }[] }> | null;

/** Reconciles this app's jobs whose process died (the same recovery that runs when the dashboard starts). */
export function RecoverButton({ app }: { app: string }) {
  const [state, action, pending] = useActionState<R, FormData>(recoverAppAction, null);
  return (
    <form action={action} className="space-y-2">
      <input type="hidden" name="app" value={app} />
      <button disabled={pending} className="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium hover:bg-slate-50">
        {pending ? "Recovering…" : "Recover interrupted jobs"}
      </button>
      {state?.status === "ok" && (
        <ul className="text-xs text-slate-700">
          {state.data.reports.length === 0 && <li>Nothing to recover: running jobs are alive and no leftover staging database was found.</li>}
          {state.data.reports.map((r, i) => (
            <li key={r.jobId ?? `leftovers-${i}`}>
              {r.jobId === null ? "leftovers" : `#${r.jobId}`}: {r.error ?? r.decisions.join("; ")}
            </li>
          ))}
        </ul>
      )}
      {state && state.status !== "ok" && <p className="text-xs text-red-700">{state.message}</p>}
    </form>
  );
}
