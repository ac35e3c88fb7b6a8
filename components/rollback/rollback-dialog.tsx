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
import { JobProgress } from "@/components/jobs/job-progress";
import type { ActionResult } from "@/lib/actions/result";
import { formatAge, formatBytes } from "@/lib/format";
import type { RollbackPreview } from "@/lib/jobs/rollback-job";
import { SubmitChecks } from "./submit-checks";

export type DialogMode = "rollback" | "restore" | "switch_release" | "undo";

export interface DialogProps {
  app: string;
  mode: DialogMode;
  label: string;
  tone?: "danger" | "neutral";
  size?: "md" | "sm";
  releases?: { name: string; complete: boolean; isCurrent: boolean }[];
  /** tampered: listed so the operator sees it, but never selectable (lib/ops/integrity.ts). */
  backups?: { id: number; name: string; method: string; createdAt: string; tampered?: boolean }[];
  defaultRelease?: string;
  backupId?: number;
  release?: string;
  jobId?: number;
}

type Started = ActionResult<{ jobId: number }> | null;
const ACTIONS = { rollback: rollbackAction, restore: restoreAction, switch_release: switchReleaseAction, undo: undoAction };

/**
 * The one dialog for every change to what the app runs: roll back (code, optionally the database), restore a
 * database, switch release, undo. It shows the plan step by step, the data-loss window and the equivalent CLI
 * command, and needs the app's name typed before it starts.
 */
export function RollbackDialog(props: DialogProps) {
  const [open, setOpen] = useState(false);
  const router = useRouter();
  const close = () => {
    setOpen(false);
    router.refresh();
  };
  const [targetRelease, setTargetRelease] = useState(props.defaultRelease ?? "");
  const [restoreDb, setRestoreDb] = useState(false);
  const [backupId, setBackupId] = useState<string>("");
  const [typed, setTyped] = useState("");
  const [preview, setPreview] = useState<ActionResult<RollbackPreview> | null>(null);
  const [previewing, startPreview] = useTransition();
  const [state, formAction, pending] = useActionState<Started, FormData>(ACTIONS[props.mode] as never, null);

  useEffect(() => {
    if (!open) return;
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
  }, [open, targetRelease, restoreDb, backupId, props.mode, props.app, props.backupId, props.release, props.jobId]);

  const started = state?.status === "ok" ? state.data.jobId : undefined;
  const plan = preview?.status === "ok" ? preview.data.plan : null;
  const buttonTone =
    props.tone === "neutral"
      ? "border border-slate-300 bg-white text-slate-800 hover:bg-slate-50"
      : "bg-red-700 text-white hover:bg-red-800";

  return (
    <>
      <button
        type="button"
        onClick={() => setOpen(true)}
        className={`rounded-md font-semibold ${props.size === "sm" ? "px-2 py-0.5 text-xs" : "px-3 py-1.5 text-sm"} ${buttonTone}`}
      >
        {props.label}
      </button>
      {open && (
        <div className="fixed inset-0 z-50 flex items-start justify-center overflow-y-auto bg-slate-900/50 p-4 sm:p-10">
          <div role="dialog" aria-modal="true" aria-labelledby="rollback-title" className="w-full max-w-2xl space-y-4 rounded-xl bg-white p-6 shadow-2xl">
            <div className="flex items-start justify-between gap-4">
              <h2 id="rollback-title" className="text-lg font-semibold text-slate-900">
                {plan?.title ?? props.label}
              </h2>
              <button type="button" onClick={close} className="text-sm text-slate-500 hover:text-slate-800" aria-label="Close">
                ✕
              </button>
            </div>

            {started ? (
              <div className="space-y-3">
                <JobProgress app={props.app} jobId={started} title={plan?.title ?? props.mode} refreshOnEnd={false} />
                <div className="flex items-center justify-between gap-3">
                  <p className="text-sm text-slate-600">You can close this dialog; the job keeps running and shows on the app page.</p>
                  <button type="button" onClick={close} className="rounded-md border border-slate-300 px-3 py-1.5 text-sm">
                    Close
                  </button>
                </div>
              </div>
            ) : (
              <form onSubmit={submitWithoutReset(() => formAction)} className="space-y-4">
                <input type="hidden" name="app" value={props.app} />
                {props.mode === "restore" && <input type="hidden" name="backupId" value={props.backupId} />}
                {props.mode === "switch_release" && <input type="hidden" name="release" value={props.release} />}
                {props.mode === "undo" && <input type="hidden" name="jobId" value={props.jobId} />}
                <SubmitChecks preview={preview?.status === "ok" ? preview.data : null} />

                {props.mode === "rollback" && (
                  <div className="grid gap-3 sm:grid-cols-2">
                    <label className="text-sm">
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
                    <div className="space-y-2 text-sm">
                      <label className="flex items-center gap-2 pt-6 font-medium text-slate-700">
                        <input type="checkbox" name="restoreDatabase" checked={restoreDb} onChange={(e) => setRestoreDb(e.target.checked)} className="size-4" />
                        Restore database
                      </label>
                      {restoreDb && (
                        <select
                          name="backupId"
                          value={backupId}
                          onChange={(e) => setBackupId(e.target.value)}
                          aria-label="Backup to restore"
                          className="w-full rounded-md border border-slate-300 px-2 py-1.5 text-sm"
                        >
                          <option value="">Default: taken just before the current release</option>
                          {(props.backups ?? []).map((b) => (
                            <option key={b.id} value={b.id} disabled={b.tampered} className={b.tampered ? "text-red-700" : undefined}>
                              {b.tampered ? "⚠ TAMPERED — " : ""}
                              {b.name} ({b.method}, {formatAge(b.createdAt)} ago)
                            </option>
                          ))}
                        </select>
                      )}
                    </div>
                  </div>
                )}

                <section aria-label="Plan" className="rounded-lg border border-slate-200 bg-slate-50 p-4">
                  <h3 className="mb-2 text-sm font-semibold text-slate-900">Plan {previewing && <span className="font-normal text-slate-500">· updating…</span>}</h3>
                  {preview && preview.status !== "ok" && <p className="text-sm text-red-700">{preview.message}</p>}
                  {plan && (
                    <div className="space-y-3 text-sm">
                      <ol className="list-decimal space-y-1 pl-5 text-slate-800">
                        {plan.steps.map((s, i) => (
                          <li key={i}>{s.text}</li>
                        ))}
                      </ol>
                      {plan.dataLoss && (
                        <div className="rounded-md border border-amber-300 bg-amber-50 p-3 text-amber-950" data-testid="data-loss">
                          <p className="font-semibold">Data-loss window</p>
                          <p>{plan.dataLoss.text}</p>
                          {preview?.status === "ok" && preview.data.backup?.sizeBytes ? (
                            <p className="text-xs">Backup size {formatBytes(preview.data.backup.sizeBytes)}.</p>
                          ) : null}
                        </div>
                      )}
                      {plan.warnings.map((w, i) => (
                        <p key={i} className="rounded-md border border-amber-300 bg-amber-50 p-2 text-amber-950">
                          {w}
                        </p>
                      ))}
                      <div>
                        <p className="text-xs font-medium text-slate-600">Same thing from a shell:</p>
                        <pre className="mt-1 overflow-x-auto rounded bg-slate-950 p-2 font-mono text-xs text-slate-100">{plan.cli}</pre>
                      </div>
                    </div>
                  )}
                </section>

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
                    className="w-full rounded-md border border-slate-300 px-2 py-1.5 font-mono text-sm"
                  />
                </label>
                {state && state.status !== "ok" && (
                  <p className="rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-800" data-testid="dialog-error">
                    {state.status === "invalid" ? Object.values(state.fieldErrors).flat().join("; ") || state.message : state.message}
                  </p>
                )}
                <div className="flex justify-end gap-2">
                  <button type="button" onClick={() => setOpen(false)} className="rounded-md border border-slate-300 px-3 py-1.5 text-sm">
                    Cancel
                  </button>
                  <button
                    data-testid="confirm-change"
                    disabled={typed !== props.app || pending || !plan}
                    className="rounded-md bg-red-700 px-4 py-1.5 text-sm font-semibold text-white hover:bg-red-800 disabled:opacity-50"
                  >
                    {pending ? "Starting…" : plan?.title ?? props.label}
                  </button>
                </div>
              </form>
            )}
          </div>
        </div>
      )}
    </>
  );
}
