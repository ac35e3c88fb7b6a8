import Link from "next/link";
import type { JobView } from "@/lib/db/queries/jobs";
import { formatAge } from "@/lib/format";
import { parseChangeRecord } from "@/lib/ops/change-record";
import { RollbackDialog } from "./rollback-dialog";

const VERB: Record<string, string> = {
  rollback: "Rollback",
  restore: "Database restore",
  switch_release: "Release switch",
  release: "Guarded release",
  undo: "Undo",
};

/** "Undo rollback #10"; undoing an undo puts the change back, so it says that instead of "Undo undo". */
export function undoTitle(job: Pick<JobView, "id" | "type">, undoOf: number | null): string {
  if (job.type === "undo") return `Reverse undo #${job.id}${undoOf ? ` (put back job #${undoOf}'s change)` : ""}`;
  const noun: Record<string, string> = { rollback: "rollback", restore: "database restore", switch_release: "release switch", release: "release" };
  return `Undo ${noun[job.type] ?? "change"} #${job.id}`;
}

/** The last change to what the app runs, how it ended, and the way back. */
export function UndoPanel({ app, job, canUndo }: { app: string; job: JobView; canUndo: boolean }) {
  if (job.status === "running") return null;
  const result = parseChangeRecord(job.result);
  // Its worker died, and recovery finished the change forward: not a failure to undo or re-run in a hurry.
  const finishedByRecovery = job.status === "interrupted" && !!result?.recovered && result.changed;
  const healthAfter = finishedByRecovery ? result.health?.http : undefined;
  const failed = job.status !== "ok" && !(finishedByRecovery && healthAfter?.ok === true);
  return (
    <section
      aria-label="Last change"
      data-testid="last-change"
      data-status={job.status}
      className={`flex flex-wrap items-center justify-between gap-3 rounded-lg border p-4 text-sm ${failed ? "border-red-300 bg-red-50" : "border-slate-200 bg-white"}`}
    >
      <div className="min-w-0 space-y-1 break-words">
        <p className={`font-semibold ${failed ? "text-red-900" : "text-slate-900"}`}>
          {VERB[job.type] ?? job.type}{" "}
          <Link href={`/apps/${app}/jobs/${job.id}`} className="underline decoration-dotted hover:decoration-solid">
            #{job.id}
          </Link>{" "}
          {finishedByRecovery ? "was finished by recovery" : failed ? "failed" : "finished"} {formatAge(job.finishedAt ?? job.startedAt)} ago (by {job.actor})
        </p>
        {finishedByRecovery && (
          <p className={failed ? "text-red-800" : "text-slate-700"} data-testid="recovery-health">
            Its worker stopped mid-way ({job.error ?? "interrupted"}); recovery completed the change.{" "}
            {healthAfter
              ? healthAfter.ok
                ? "The health check after recovery passed."
                : `The health check after recovery FAILED${healthAfter.error ? ` (${healthAfter.error})` : ""}: the app's health policy applies.`
              : "No health check after recovery yet (there is none without a health URL)."}
          </p>
        )}
        {failed && !finishedByRecovery && job.error && <p className="whitespace-pre-wrap text-red-800">{job.error}</p>}
        {!result && job.result !== null && <p className="text-red-800">Its record of what it changed cannot be read; see its log.</p>}
        {result?.preRollbackDb && <p className="text-slate-600">The database it replaced is kept as {result.preRollbackDb} (pinned backup).</p>}
        {result?.undo.hint && <p className="text-slate-600">{result.undo.hint}</p>}
      </div>
      {canUndo && result?.undo.available && <RollbackDialog app={app} mode="undo" label={`${undoTitle(job, result.undoOf)}…`} title={undoTitle(job, result.undoOf)} jobId={job.id} />}
    </section>
  );
}
