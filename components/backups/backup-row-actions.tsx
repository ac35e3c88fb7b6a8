"use client";

import { useRouter } from "next/navigation";
import { useActionState, useEffect, useState } from "react";
import { deleteBackupAction, pinBackupAction, verifyBackupAction } from "@/app/(dashboard)/apps/[app]/actions";
import { submitWithoutReset } from "@/components/forms/submit-without-reset";
import type { ActionResult } from "@/lib/actions/result";

type R = ActionResult<unknown> | null;

/** Pin, verify and delete for one backup row. Delete asks for the backup's name first. */
export function BackupRowActions(props: {
  app: string;
  backupId: number;
  name: string;
  pinned: boolean;
  canOperate: boolean;
  canDelete: boolean;
  verifiable: boolean;
}) {
  const [pinState, pinAction, pinPending] = useActionState<R, FormData>(pinBackupAction, null);
  const [verifyState, verifyAction, verifyPending] = useActionState<R, FormData>(verifyBackupAction, null);
  const [deleteState, deleteAction, deletePending] = useActionState<R, FormData>(deleteBackupAction, null);
  const [confirming, setConfirming] = useState(false);
  const [typed, setTyped] = useState("");
  const router = useRouter();
  // A verify runs as a job; the page's job panel shows it.
  useEffect(() => {
    if (verifyState?.status === "ok") router.refresh();
  }, [verifyState, router]);
  const error = [pinState, verifyState, deleteState].find((s) => s && s.status !== "ok");

  if (!props.canOperate) return null;
  return (
    <div className="flex flex-col items-end gap-1">
      <div className="flex flex-wrap justify-end gap-1">
        <form action={pinAction}>
          <input type="hidden" name="app" value={props.app} />
          <input type="hidden" name="backupId" value={props.backupId} />
          <input type="hidden" name="pinned" value={props.pinned ? "false" : "true"} />
          <button disabled={pinPending} className="rounded border border-slate-300 px-2 py-0.5 text-xs hover:bg-slate-50">
            {props.pinned ? "Unpin" : "Pin"}
          </button>
        </form>
        {props.verifiable && (
          <form action={verifyAction}>
            <input type="hidden" name="app" value={props.app} />
            <input type="hidden" name="backupId" value={props.backupId} />
            <button disabled={verifyPending} className="rounded border border-slate-300 px-2 py-0.5 text-xs hover:bg-slate-50">
              Verify
            </button>
          </form>
        )}
        {props.canDelete && (
          <button
            type="button"
            onClick={() => setConfirming(true)}
            className="rounded border border-red-300 px-2 py-0.5 text-xs text-red-700 hover:bg-red-50"
          >
            Delete…
          </button>
        )}
      </div>
      {confirming && (
        <div role="dialog" aria-modal="true" aria-labelledby={`del-${props.backupId}`} className="fixed inset-0 z-50 flex items-center justify-center bg-slate-900/40 p-4">
          <form onSubmit={submitWithoutReset(() => deleteAction)} className="w-full max-w-md space-y-3 rounded-lg bg-white p-5 text-left shadow-xl">
            <h2 id={`del-${props.backupId}`} className="text-base font-semibold text-slate-900">
              Delete backup {props.name}?
            </h2>
            <p className="text-sm text-slate-600">
              This removes the backup for good (the file, or the clone database). It cannot be undone. Type the backup&apos;s name to confirm.
            </p>
            <input type="hidden" name="app" value={props.app} />
            <input type="hidden" name="backupId" value={props.backupId} />
            <input
              name="confirm"
              value={typed}
              onChange={(e) => setTyped(e.target.value)}
              aria-label="Backup name"
              autoFocus
              className="w-full rounded-md border border-slate-300 px-2 py-1.5 font-mono text-sm"
              placeholder={props.name}
            />
            {deleteState && deleteState.status !== "ok" && <p className="text-sm text-red-700">{deleteState.message}</p>}
            <div className="flex justify-end gap-2">
              <button type="button" onClick={() => setConfirming(false)} className="rounded-md border border-slate-300 px-3 py-1.5 text-sm">
                Cancel
              </button>
              <button
                disabled={typed !== props.name || deletePending}
                className="rounded-md bg-red-700 px-3 py-1.5 text-sm font-semibold text-white disabled:opacity-50"
              >
                {deletePending ? "Deleting…" : "Delete backup"}
              </button>
            </div>
          </form>
        </div>
      )}
      {error && error.status !== "ok" && !confirming && <p className="max-w-xs text-right text-xs text-red-700">{error.message}</p>}
    </div>
  );
}
