"use client";

import { useRouter } from "next/navigation";
import { startTransition, useActionState, useEffect } from "react";
import { markReleasesCompleteAction } from "@/app/(dashboard)/apps/[app]/backups/actions";
import { Alert } from "@/components/ui/alert";
import type { ActionResult } from "@/lib/actions/result";

type R = ActionResult<{ marked: string[] }> | null;

/**
 * Seed 000's deploys leave releases/ + current without Lifeboat's completion marker, so no release can be
 * rolled back to. The operator who knows those deploys finished vouches for them once (audited).
 */
export function MarkReleasesComplete(props: { app: string; unmarked: string[]; canOperate: boolean }) {
  const [state, action, pending] = useActionState<R, FormData>(markReleasesCompleteAction, null);
  const router = useRouter();
  useEffect(() => {
    if (state?.status === "ok") router.refresh();
  }, [state, router]);
  if (props.unmarked.length === 0) return null;
  return (
    <Alert tone="warn" title={`${props.unmarked.length} release${props.unmarked.length === 1 ? "" : "s"} without Lifeboat's completion marker`} data-testid="mark-complete">
      <p>
        {props.unmarked.slice(0, 8).join(", ")}
        {props.unmarked.length > 8 ? ", …" : ""} {props.unmarked.length === 1 ? "has" : "have"} no <code className="font-mono">.lifeboat-release-complete</code> file. Lifeboat only switches to a
        release whose deploy wrote that file as its last step, so a deploy that died half-way never becomes current. Releases made before Lifeboat (by the
        Ansible playbook) never wrote it. If no deploy is running now and these releases all ran before, mark them complete once; from then on, let your
        deploy write the file (<code className="font-mono">touch releases/$NAME/.lifeboat-release-complete</code>).
      </p>
      {props.canOperate ? (
        <div className="mt-2 flex items-center gap-3">
          <button
            type="button"
            disabled={pending}
            onClick={() => {
              const fd = new FormData();
              fd.set("app", props.app);
              startTransition(() => action(fd));
            }}
            className="rounded-md border border-amber-400 bg-white px-3 py-1 text-sm font-medium hover:bg-amber-50 disabled:opacity-50"
          >
            Mark existing releases complete
          </button>
          {state && state.status !== "ok" && <span className="text-sm text-red-700">{state.message}</span>}
        </div>
      ) : (
        <p className="mt-1">An operator can mark them.</p>
      )}
    </Alert>
  );
}
