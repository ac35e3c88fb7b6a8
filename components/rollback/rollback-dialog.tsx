"use client";

import { useRouter } from "next/navigation";
import { useActionState, useEffect, useState, useTransition } from "react";
import {
  previewRollbackAction,
  restoreAction,
  rollbackAction,
  switchReleaseAction,
  undoAction,
} from "@/app/(dashboard)/apps/[app]/releases/actions";
import { submitWithoutReset } from "@/components/forms/submit-without-reset";
import { Button } from "@/components/ui/button";
import { Dialog, DialogActions } from "@/components/ui/dialog";
import type { ActionResult } from "@/lib/actions/result";
import type { RollbackPreview } from "@/lib/jobs/rollback-job";
import { BackupPicker } from "./backup-picker";
import { ChangeOutcome } from "./change-outcome";
import type { PickerBackup } from "./picker-backups";
import { PlanView } from "./plan-view";
import { SubmitChecks } from "./submit-checks";

export type DialogMode = "rollback" | "restore" | "switch_release" | "undo";

export interface DialogProps {
  app: string;
  mode: DialogMode;
  label: string;
  /** The dialog's title and its confirm button, when the plan's generic title would mislead ("Undo rollback #10"). */
  title?: string;
  tone?: "danger" | "neutral";
  size?: "md" | "sm";
  /** Shown disabled with this reason (role or database permission missing, and the fix). */
  disabledReason?: string;
  releases?: { name: string; complete: boolean; isCurrent: boolean }[];
  backups?: PickerBackup[];
  defaultRelease?: string;
  backupId?: number;
  release?: string;
  jobId?: number;
}

type Started = ActionResult<{ jobId: number }> | null;
/** Plan refusals that mean "the default backup cannot be used" (lib/jobs/rollback-resolve.ts): the picker says so. */
const NO_DEFAULT_BACKUP = new Set(["no_backup", "missing_file", "tampered", "no_checksum", "not_restorable", "not_restorable_by_role", "db_missing"]);
const CONFIRM: Record<DialogMode, string> = { rollback: "Roll back", restore: "Restore database", switch_release: "Switch release", undo: "Undo" };
const ACTIONS = { rollback: rollbackAction, restore: restoreAction, switch_release: switchReleaseAction, undo: undoAction };

/**
 * The one dialog for every change to what the app runs: roll back (code, optionally the database), restore a
 * database, switch release, undo. It shows the plan step by step, the data-loss window and the equivalent CLI
 * command, needs the app's name typed before it starts, and ends by saying what happened.
 */
export function RollbackDialog(props: DialogProps) {
  const [open, setOpen] = useState(false);
  const router = useRouter();
  const [targetRelease, setTargetRelease] = useState(props.defaultRelease ?? "");
  const [restoreDb, setRestoreDb] = useState(false);
  const [backupId, setBackupId] = useState<string>("");
  const [typed, setTyped] = useState("");
  const [preview, setPreview] = useState<ActionResult<RollbackPreview> | null>(null);
  const [previewing, startPreview] = useTransition();
  const [state, formAction, pending] = useActionState<Started, FormData>(ACTIONS[props.mode] as never, null);
  const started = state?.status === "ok" ? state.data.jobId : undefined;
  const close = () => {
    setOpen(false);
    setTyped("");
    if (started) router.refresh();
  };

  useEffect(() => {
    if (!open || started) return;
    const input =
      props.mode === "rollback"
        ? { kind: "rollback", app: props.app, targetRelease, restoreDatabase: restoreDb, backupId }
        : props.mode === "restore"
          ? { kind: "restore", app: props.app, backupId: props.backupId }
          : props.mode === "switch_release"
            ? { kind: "switch_release", app: props.app, release: props.release }
            : { kind: "undo", app: props.app, jobId: props.jobId };
    startPreview(async () => {
      setPreview((await previewRollbackAction(input as never)) as ActionResult<RollbackPreview>);
    });
  }, [open, started, targetRelease, restoreDb, backupId, props.mode, props.app, props.backupId, props.release, props.jobId]);

  const plan = preview?.status === "ok" ? preview.data.plan : null;
  // What "Default" restores, said in the picker: the plan's backup, or none usable (the plan says why).
  const defaultName =
    backupId !== "" || previewing || !preview
      ? undefined
      : preview.status === "ok"
        ? (preview.data.backup?.name ?? null)
        : preview.status === "error" && NO_DEFAULT_BACKUP.has(preview.code)
          ? null
          : undefined;
  const title = props.title ?? plan?.title ?? props.label.replace(/…$/, "");

  return (
    <>
      <Button
        type="button"
        variant={props.tone === "neutral" ? "secondary" : "danger"}
        size={props.size === "sm" ? "sm" : "md"}
        disabled={!!props.disabledReason}
        title={props.disabledReason}
        onClick={() => {
          // The default target may have changed under an open page (live refresh): start from the current one.
          // (Not a remount by key: that closed the dialog when a finished rollback changed the default.)
          if (!started) setTargetRelease(props.defaultRelease ?? "");
          setOpen(true);
        }}
      >
        {props.label}
      </Button>
      <Dialog open={open} onClose={close} busy={pending} title={title} size="lg" testId="change-dialog">
        {started ? (
          <ChangeOutcome app={props.app} jobId={started} title={title} onClose={close} />
        ) : (
          <form onSubmit={submitWithoutReset(() => formAction)} className="space-y-4">
            <input type="hidden" name="app" value={props.app} />
            {props.mode === "restore" && <input type="hidden" name="backupId" value={props.backupId} />}
            {props.mode === "switch_release" && <input type="hidden" name="release" value={props.release} />}
            {props.mode === "undo" && <input type="hidden" name="jobId" value={props.jobId} />}
            <SubmitChecks preview={preview?.status === "ok" ? preview.data : null} />

            {props.mode === "rollback" && (
              <div className="grid gap-3 sm:grid-cols-2">
                <label className="min-w-0 text-sm">
                  <span className="mb-1 block font-medium text-slate-700">Target release</span>
                  <select
                    name="targetRelease"
                    value={targetRelease}
                    onChange={(e) => setTargetRelease(e.target.value)}
                    className="w-full rounded-md border border-slate-300 px-2 py-1.5 text-sm"
                  >
                    {(props.releases ?? []).map((r) => (
                      <option key={r.name} value={r.name} disabled={!r.complete || r.isCurrent}>
                        {r.name}
                        {(preview?.status === "ok" ? preview.data.currentRelease === r.name : r.isCurrent) ? " (current)" : ""}
                        {!r.complete ? " (incomplete)" : ""}
                      </option>
                    ))}
                  </select>
                </label>
                <div className="min-w-0 space-y-2 text-sm">
                  <label className="flex items-center gap-2 font-medium text-slate-700 sm:pt-6">
                    <input type="checkbox" name="restoreDatabase" checked={restoreDb} onChange={(e) => setRestoreDb(e.target.checked)} className="size-4" />
                    Restore database
                  </label>
                  {restoreDb && <BackupPicker backups={props.backups ?? []} value={backupId} onChange={setBackupId} defaultName={defaultName} />}
                </div>
              </div>
            )}

            <PlanView preview={preview} updating={previewing} />

            <label className="block text-sm">
              <span className="mb-1 block font-medium text-slate-700">
                Type <span className="font-mono">{props.app}</span> to confirm
              </span>
              <input
                name="confirm"
                value={typed}
                onChange={(e) => setTyped(e.target.value)}
                autoComplete="off"
                aria-label="Type the app name to confirm"
                data-autofocus={props.mode !== "rollback" || undefined}
                className="w-full rounded-md border border-slate-300 px-2 py-1.5 font-mono text-sm"
              />
            </label>
            {state && state.status !== "ok" && (
              <p role="alert" className="rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-800" data-testid="dialog-error">
                {state.status === "invalid" ? Object.values(state.fieldErrors).flat().join("; ") || state.message : state.message}
              </p>
            )}
            <DialogActions>
              <Button type="button" variant="secondary" onClick={close} disabled={pending}>
                Cancel
              </Button>
              <Button data-testid="confirm-change" variant="danger" disabled={typed !== props.app || !plan} pending={pending} pendingLabel="Starting…">
                {props.title ?? CONFIRM[props.mode]}
              </Button>
            </DialogActions>
          </form>
        )}
      </Dialog>
    </>
  );
}
