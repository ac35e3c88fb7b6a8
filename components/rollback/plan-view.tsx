import type { ActionResult } from "@/lib/actions/result";
import { formatBytes, formatDuration } from "@/lib/format";
import type { RollbackPreview } from "@/lib/jobs/rollback-job";
import { CommandBlock } from "@/components/ui/copy-button";

/** The plan a change will run, step by step, with its data-loss window, warnings and the shell equivalent. */
export function PlanView({ preview, updating, extraWarning }: { preview: ActionResult<RollbackPreview> | null; updating: boolean; extraWarning?: string }) {
  const plan = preview?.status === "ok" ? preview.data.plan : null;
  return (
    <section aria-label="Plan" className="min-w-0 rounded-lg border border-slate-200 bg-slate-50 p-3 sm:p-4">
      <h3 className="mb-2 text-sm font-semibold text-slate-900">Plan {updating && <span className="font-normal text-slate-500">· updating…</span>}</h3>
      {preview && preview.status !== "ok" && <p className="text-sm text-red-700">{preview.message}</p>}
      {plan && (
        <div className="space-y-3 text-sm break-words">
          <ol className="list-decimal space-y-1 pl-5 text-slate-800">
            {plan.steps.map((s, i) => (
              <li key={i}>{s.text}</li>
            ))}
          </ol>
          {plan.dataLoss && (
            <div className="rounded-md border border-amber-300 bg-amber-50 p-3 text-amber-950" data-testid="data-loss">
              <p className="font-semibold">Data-loss window</p>
              <p>{plan.dataLoss.text}</p>
              {preview?.status === "ok" && preview.data.backup?.sizeBytes ? <p className="text-xs">Backup size {formatBytes(preview.data.backup.sizeBytes)}.</p> : null}
            </div>
          )}
          {preview?.status === "ok" && preview.data.restoreEstimate && (
            <p className="text-slate-700" data-testid="restore-estimate">
              Restoring should take about {formatDuration(preview.data.restoreEstimate.restoreMs)}: the last restore drill of a backup of similar size
              {preview.data.restoreEstimate.backupBytes ? ` (${formatBytes(preview.data.restoreEstimate.backupBytes)})` : ""} took that long.
            </p>
          )}
          {extraWarning && <p className="rounded-md border border-red-300 bg-red-50 p-2 font-medium text-red-900">{extraWarning}</p>}
          {plan.warnings.map((w, i) => (
            <p key={i} className="rounded-md border border-amber-300 bg-amber-50 p-2 text-amber-950">
              {w}
            </p>
          ))}
          <CommandBlock label="Same thing from a shell:" text={plan.cli} />
        </div>
      )}
    </section>
  );
}
