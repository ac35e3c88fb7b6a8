"use client";

import { useActionState } from "react";
import { refreshAppAction } from "@/app/(dashboard)/apps/[app]/actions";
import type { ActionResult } from "@/lib/actions/result";

type R = ActionResult<{ refreshed: boolean }> | null;

/** Re-reads sizes, clone databases on the server and dump files on disk now (the worker also does every 5 minutes). */
export function RefreshButton({ app }: { app: string }) {
  const [state, action, pending] = useActionState<R, FormData>(refreshAppAction, null);
  return (
    <form action={action} className="flex items-center gap-2">
      <input type="hidden" name="app" value={app} />
      <button disabled={pending} className="rounded border border-slate-300 bg-white px-2 py-0.5 text-xs hover:bg-slate-50" title="Re-reads sizes, the clone databases on the server and the dump files in the backups directory (the worker does so every 5 minutes)">
        {pending ? "Refreshing…" : "Refresh"}
      </button>
      {state && state.status !== "ok" && <span className="text-xs text-red-700">{state.message}</span>}
    </form>
  );
}
