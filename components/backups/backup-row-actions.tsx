"use client";

import { useRouter } from "next/navigation";
import { startTransition, useActionState, useEffect } from "react";
import { deleteBackupAction, pinBackupAction, verifyBackupAction } from "@/app/(dashboard)/apps/[app]/actions";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import type { ActionResult } from "@/lib/actions/result";

type R = ActionResult<unknown> | null;

/** The pre-rollback copy the current Undo puts back: deleting it makes that Undo impossible. */
export interface UndoNeeds {
  backupId: number;
  jobId: number;
  /** "Undo rollback #12" */
  undoTitle: string;
}

/** Pin, verify and delete for one backup row. Delete asks for the backup's name first (ConfirmDialog). */
export function BackupRowActions(props: {
  app: string;
  backupId: number;
  name: string;
  pinned: boolean;
  /** Pinned by an admin: only an admin may unpin it (the action refuses anyone else too). */
  adminPinned?: boolean;
  /** Booleans, not the whole Capabilities: these props are sent once per row. */
  canOperate: boolean;
  canDelete: boolean;
  verifiable: boolean;
  undoNeeds?: UndoNeeds;
}) {
  const { canOperate, canDelete } = props;
  const [pinState, pinAction, pinPending] = useActionState<R, FormData>(pinBackupAction, null);
  const [verifyState, verifyAction, verifyPending] = useActionState<R, FormData>(verifyBackupAction, null);
  const [deleteState, deleteAction, deletePending] = useActionState<R, FormData>(deleteBackupAction, null);
  const router = useRouter();
  // A verify runs as a job; the page's job panel shows it.
  useEffect(() => {
    if (verifyState?.status === "ok") router.refresh();
  }, [verifyState, router]);
  const error = [pinState, verifyState].find((s) => s && s.status !== "ok");
  const send = (action: (fd: FormData) => void, extra: Record<string, string>) => {
    const fd = new FormData();
    fd.set("app", props.app);
    fd.set("backupId", String(props.backupId));
    for (const [k, v] of Object.entries(extra)) fd.set(k, v);
    startTransition(() => action(fd));
  };

  if (!canOperate) return null;
  return (
    <div className="flex flex-col items-start gap-1">
      <div className="flex flex-wrap gap-1">
        {/* Buttons, not progressive-enhancement forms: 25 rows of hidden action fields were a third of the page. */}
        <button
          type="button"
          onClick={() => send(pinAction, { pinned: props.pinned ? "false" : "true" })}
          disabled={pinPending || (props.adminPinned && !canDelete)}
          title={props.adminPinned && !canDelete ? "Pinned by an admin: only an admin can unpin it" : undefined}
          className="rounded border border-slate-300 px-2 py-0.5 text-xs hover:bg-slate-50 disabled:opacity-50"
        >
          {props.pinned ? "Unpin" : "Pin"}
        </button>
        {props.verifiable && (
          <button type="button" onClick={() => send(verifyAction, {})} disabled={verifyPending} className="rounded border border-slate-300 px-2 py-0.5 text-xs hover:bg-slate-50">
            Verify
          </button>
        )}
        {canDelete && (
          <ConfirmDialog
            triggerLabel="Delete…"
            triggerSize="sm"
            title={`Delete backup ${props.name}?`}
            description={
              props.undoNeeds ? (
                <div className="space-y-2">
                  <p className="rounded-md border border-red-300 bg-red-50 p-2 font-semibold text-red-900" data-testid="undo-needs-warning">
                    This is the database that “{props.undoNeeds.undoTitle}” puts back. Deleting it makes that Undo impossible: job #{props.undoNeeds.jobId} can then
                    no longer be undone.
                  </p>
                  <p>It removes the clone database for good. It cannot be undone.</p>
                </div>
              ) : (
                "This removes the backup for good (the file, or the clone database). It cannot be undone."
              )
            }
            confirmWord={props.name}
            confirmLabel="Delete backup"
            pendingLabel="Deleting…"
            action={deleteAction}
            pending={deletePending}
            error={deleteState && deleteState.status !== "ok" ? deleteState.message : undefined}
          >
            <input type="hidden" name="app" value={props.app} />
            <input type="hidden" name="backupId" value={props.backupId} />
          </ConfirmDialog>
        )}
      </div>
      {error && error.status !== "ok" && <p className="max-w-xs text-xs text-red-700">{error.message}</p>}
    </div>
  );
}
