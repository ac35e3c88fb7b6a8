import type { JobView } from "@/lib/db/queries/jobs";
import { formatAge } from "@/lib/format";
import { parseChangeRecord } from "@/lib/ops/change-record";
import { RollbackDialog } from "./rollback-dialog";

const VERB: Record<string, string> = {
  rollback: "Rollback",
  restore: "Database restore",
  switch_release: "Release switch",
  undo: "Undo",
};

/** The last change to what the app runs, how it ended, and the way back. */
export function UndoPanel({ app, job, canUndo }: { app: string; job: JobView; canUndo: boolean }) {
  if (job.status === "running") return null;
  const result = parseChangeRecord(job.result);
  const failed = job.status !== "ok";
  return (
    <section
      aria-label="Last change"
      data-testid="last-change"
      data-status={job.status}
      className={`flex flex-wrap items-center justify-between gap-3 rounded-lg border p-4 text-sm ${failed ? "border-red-300 bg-red-50" : "border-slate-200 bg-white"}`}
    >
      <div className="space-y-1">
        <p className={`font-semibold ${failed ? "text-red-900" : "text-slate-900"}`}>
          {VERB[job.type] ?? job.type} #{job.id} {failed ? "failed" : "finished"} {formatAge(job.finishedAt ?? job.startedAt)} ago (by {job.actor})
        </p>
        {failed && job.error && <p className="whitespace-pre-wrap text-red-800">{job.error}</p>}
        {!result && job.result !== null && <p className="text-red-800">Its record of what it changed cannot be read; see its log.</p>}
        {result?.preRollbackDb && <p className="text-slate-600">The database it replaced is kept as {result.preRollbackDb} (pinned backup).</p>}
        {result?.undo.hint && <p className="text-slate-600">{result.undo.hint}</p>}
      </div>
      {canUndo && result?.undo.available && <RollbackDialog app={app} mode="undo" label={`Undo ${VERB[job.type]?.toLowerCase() ?? "change"}…`} jobId={job.id} />}
    </section>
  );
}
