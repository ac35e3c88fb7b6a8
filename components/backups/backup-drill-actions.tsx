"use client";

import { useRouter } from "next/navigation";
import { startTransition, useActionState, useEffect } from "react";
import { adoptBackupAction, drillBackupAction } from "@/app/(dashboard)/apps/[app]/backups/actions";
import type { ActionResult } from "@/lib/actions/result";

type R = ActionResult<unknown> | null;
const btn = "rounded border border-slate-300 px-2 py-0.5 text-xs hover:bg-slate-50 disabled:opacity-50";

/**
 * Verify and adopt (a dump found on disk), Drill (restore into a scratch database and check it), Download
 * (admins, dumps with a recorded sha256). Adopt and Drill run as jobs; the page's job panel shows them.
 */
export function BackupDrillActions(props: { app: string; backupId: number; adoptable: boolean; drillable: boolean; downloadHref?: string }) {
  const [adoptState, adoptAction, adoptPending] = useActionState<R, FormData>(adoptBackupAction, null);
  const [drillState, drillAction, drillPending] = useActionState<R, FormData>(drillBackupAction, null);
  const router = useRouter();
  useEffect(() => {
    if (adoptState?.status === "ok" || drillState?.status === "ok") router.refresh();
  }, [adoptState, drillState, router]);
  const send = (action: (fd: FormData) => void) => {
    const fd = new FormData();
    fd.set("app", props.app);
    fd.set("backupId", String(props.backupId));
    startTransition(() => action(fd));
  };
  const error = [adoptState, drillState].find((s) => s && s.status !== "ok");
  if (!props.adoptable && !props.drillable && !props.downloadHref) return null;
  return (
    <div className="flex flex-col items-start gap-1">
      <div className="flex flex-wrap gap-1">
        {props.adoptable && (
          <button
            type="button"
            onClick={() => send(adoptAction)}
            disabled={adoptPending}
            className={btn}
            title="Reads the whole file, refuses psql meta-commands and truncated files, and records its sha256: only then can it be restored"
          >
            Verify and adopt
          </button>
        )}
        {props.drillable && (
          <button type="button" onClick={() => send(drillAction)} disabled={drillPending} className={btn} title="Restore into a scratch database, compare with the backup's fingerprint, run the smoke query, drop it">
            Drill
          </button>
        )}
        {props.downloadHref && (
          <a href={props.downloadHref} className={btn} download>
            Download
          </a>
        )}
      </div>
      {error && error.status !== "ok" && <p className="max-w-xs text-xs text-red-700">{error.message}</p>}
    </div>
  );
}
