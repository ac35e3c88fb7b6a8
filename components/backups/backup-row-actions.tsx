"use client";

import { useRouter } from "next/navigation";
import { useActionState, useEffect } from "react";
import { deleteBackupAction, pinBackupAction, verifyBackupAction } from "@/app/(dashboard)/apps/[app]/actions";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import type { ActionResult } from "@/lib/actions/result";

type R = ActionResult<unknown> | null;

/** Pin, verify and delete for one backup row. Delete asks for the backup's name first (ConfirmDialog). */
export function BackupRowActions(props: {
  app: string;
  backupId: number;
  name: string;
  pinned: boolean;
  /** Pinned by an admin: only an admin may unpin it (the action refuses anyone else too). */
  adminPinned?: boolean;
  canOperate: boolean;
  canDelete: boolean;
  verifiable: boolean;
}) {
  const [pinState, pinAction, pinPending] = useActionState<R, FormData>(pinBackupAction, null);
  const [verifyState, verifyAction, verifyPending] = useActionState<R, FormData>(verifyBackupAction, null);
  const [deleteState, deleteAction, deletePending] = useActionState<R, FormData>(deleteBackupAction, null);
  const router = useRouter();
  // A verify runs as a job; the page's job panel shows it.
  useEffect(() => {
    if (verifyState?.status === "ok") router.refresh();
  }, [verifyState, router]);
  const error = [pinState, verifyState].find((s) => s && s.status !== "ok");

  if (!props.canOperate) return null;
  return (
    <div className="flex flex-col items-end gap-1">
      <div className="flex flex-wrap justify-end gap-1">
        <form action={pinAction}>
          <input type="hidden" name="app" value={props.app} />
          <input type="hidden" name="backupId" value={props.backupId} />
          <input type="hidden" name="pinned" value={props.pinned ? "false" : "true"} />
          <button
            disabled={pinPending || (props.adminPinned && !props.canDelete)}
            title={props.adminPinned && !props.canDelete ? "Pinned by an admin: only an admin can unpin it" : undefined}
            className="rounded border border-slate-300 px-2 py-0.5 text-xs hover:bg-slate-50 disabled:opacity-50"
          >
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
          <ConfirmDialog
            triggerLabel="Delete…"
            triggerSize="sm"
            title={`Delete backup ${props.name}?`}
            description="This removes the backup for good (the file, or the clone database). It cannot be undone."
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
      {error && error.status !== "ok" && <p className="max-w-xs text-right text-xs text-red-700">{error.message}</p>}
    </div>
  );
}
