"use client";

import { useActionState } from "react";
import { markReleaseAction } from "@/app/(dashboard)/apps/[app]/releases/actions";
import { submitWithoutReset } from "@/components/forms/submit-without-reset";
import type { ActionResult } from "@/lib/actions/result";

/** "Mark as bad" / "Unmark": a bad release is never the default rollback target, and making it current needs a checkbox. */
export function MarkBadButton({ app, release, bad }: { app: string; release: string; bad: boolean }) {
  const [state, action, pending] = useActionState<ActionResult<unknown> | null, FormData>(markReleaseAction as never, null);
  return (
    <form onSubmit={submitWithoutReset(() => action)} className="inline-flex flex-col items-end gap-1">
      <input type="hidden" name="app" value={app} />
      <input type="hidden" name="release" value={release} />
      {!bad && <input type="hidden" name="bad" value="on" />}
      <button
        type="submit"
        disabled={pending}
        data-testid={bad ? "unmark-bad" : "mark-bad"}
        className="rounded-md border border-slate-300 bg-white px-2.5 py-1 text-xs font-medium text-slate-800 hover:bg-slate-50 disabled:opacity-50"
      >
        {bad ? "Unmark bad" : "Mark as bad"}
      </button>
      {state && state.status !== "ok" && <span className="text-xs text-red-700">{state.message}</span>}
    </form>
  );
}
