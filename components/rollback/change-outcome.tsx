"use client";

import Link from "next/link";
import { useJob } from "@/components/jobs/use-job";
import { JobProgress } from "@/components/jobs/job-progress";
import { isFinal } from "@/lib/jobs/job-status";
import { describeChange } from "@/lib/jobs/describe-result";
import { parseChangeRecord } from "@/lib/ops/change-record";

/**
 * The dialog's end: live progress while the job runs (and that closing is safe), then a plain statement of
 * what happened with links to where to look next — never "keeps running" once it has ended.
 */
export function ChangeOutcome({ app, jobId, title, onClose }: { app: string; jobId: number; title: string; onClose: () => void }) {
  const { data } = useJob(app, jobId);
  const ended = !!data && isFinal(data.status);
  const record = data ? parseChangeRecord(data.result) : null;
  return (
    <div className="space-y-3" data-testid="change-outcome" data-ended={ended}>
      <JobProgress app={app} jobId={jobId} title={title} refreshOnEnd={false} />
      {!ended && <p className="text-sm text-slate-600">You can close this dialog: the job keeps running in the worker and shows on the app page.</p>}
      {ended && data.status === "ok" && (
        <div role="status" className="rounded-md border border-emerald-300 bg-emerald-50 p-3 text-sm text-emerald-950">
          <p className="font-semibold">Done: {title}.</p>
          {record && <p>{describeChange(record)}</p>}
          {record?.undo.available && <p>{record.undo.hint} The Undo button is on the app page.</p>}
        </div>
      )}
      {ended && data.status !== "ok" && (
        <div role="status" className="rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-950">
          <p className="font-semibold">It did not finish: {data.status}.</p>
          {record ? <p>{record.changed ? describeChange(record) : "Nothing the app uses was changed."}</p> : <p>See the job&apos;s log for what it did.</p>}
          {record?.undo.available && <p>{record.undo.hint} The Undo button is on the app page.</p>}
        </div>
      )}
      <div className="flex flex-wrap items-center justify-end gap-3 text-sm">
        <Link href={`/apps/${app}/jobs/${jobId}`} className="text-sky-700 hover:underline">
          Job #{jobId}: whole log
        </Link>
        <Link href={`/apps/${app}/releases`} className="text-sky-700 hover:underline">
          Releases
        </Link>
        <button type="button" onClick={onClose} className="rounded-md border border-slate-300 px-3 py-1.5 text-sm">
          {ended ? "Close" : "Close, keep it running"}
        </button>
      </div>
    </div>
  );
}
