"use client";

import { useMemo, useState } from "react";
import { CommandBlock, CopyButton } from "@/components/ui/copy-button";
import { formatDuration } from "@/lib/format";
import { isFinal } from "@/lib/jobs/job-status";
import { JobEvidence } from "./job-evidence";
import { parseLogLines, phasesOf } from "./job-log";
import { JobProgress } from "./job-progress";
import { useJob } from "./use-job";

const PAGE = 100;
// The log is stamped to the second: say "< 1 s" rather than a precise-looking "0 ms".
const secs = (s: number) => (s < 1 ? "< 1 s" : formatDuration(s * 1000));

/** A job in full: progress, phases with durations, the evidence, the whole log (paged), commands to copy. */
export function JobDetail({ app, jobId, undoCommand }: { app: string; jobId: number; undoCommand?: string }) {
  const { data } = useJob(app, jobId);
  const lines = useMemo(() => parseLogLines(data?.log ?? ""), [data?.log]);
  const ended = !!data && isFinal(data.status);
  const endStamp = data?.finishedAt ? new Date(data.finishedAt).toISOString().slice(11, 19) : null;
  const phases = useMemo(() => phasesOf(lines, endStamp), [lines, endStamp]);
  const pages = Math.max(1, Math.ceil(lines.length / PAGE));
  // null = follow the newest page while the job runs
  const [page, setPage] = useState<number | null>(null);
  const shown = page ?? pages;
  const slice = lines.slice((shown - 1) * PAGE, shown * PAGE);

  return (
    <div className="space-y-5">
      <JobProgress app={app} jobId={jobId} refreshOnEnd={false} showLog={false} />
      <section className="space-y-2 rounded-lg border border-slate-200 bg-white p-4">
        <h2 className="text-base font-semibold">Phases</h2>
        {phases.length === 0 ? (
          <p className="text-sm text-slate-500">No phases logged.</p>
        ) : (
          <ol className="space-y-1 text-sm" data-testid="job-phases">
            {phases.map((p, i) => (
              <li key={i} className="flex flex-wrap justify-between gap-2 border-b border-slate-100 pb-1 last:border-0">
                <span className="min-w-0 break-words">{p.name}</span>
                <span className="text-slate-600 tabular-nums">
                  +{secs(p.startSec)} · {p.durationSec === null ? (ended ? "—" : "running") : secs(p.durationSec)}
                </span>
              </li>
            ))}
          </ol>
        )}
      </section>
      <section className="space-y-2 rounded-lg border border-slate-200 bg-white p-4">
        <h2 className="text-base font-semibold">Evidence</h2>
        <JobEvidence result={data?.result ?? null} />
        {undoCommand && <CommandBlock label="Undo it from a shell:" text={undoCommand} />}
      </section>
      <section className="space-y-2 rounded-lg border border-slate-200 bg-white p-4" aria-label="Log">
        <div className="flex flex-wrap items-center justify-between gap-2">
          <h2 className="text-base font-semibold">
            Log <span className="text-sm font-normal text-slate-500">({lines.length} lines)</span>
          </h2>
          <div className="flex flex-wrap items-center gap-2 text-sm">
            <CopyButton text={data?.log ?? ""} label="Copy log" />
            {pages > 1 && (
              <>
                <button type="button" disabled={shown <= 1} onClick={() => setPage(shown - 1)} className="rounded border border-slate-300 px-2 py-0.5 disabled:opacity-40">
                  ← Older
                </button>
                <span data-testid="log-page">
                  {shown} / {pages}
                </span>
                <button type="button" disabled={shown >= pages} onClick={() => setPage(shown + 1 >= pages ? null : shown + 1)} className="rounded border border-slate-300 px-2 py-0.5 disabled:opacity-40">
                  Newer →
                </button>
              </>
            )}
          </div>
        </div>
        <ol className="max-w-full overflow-x-auto rounded bg-slate-950 p-2 font-mono text-xs leading-5 text-slate-200" data-testid="job-log">
          {slice.map((l, i) => (
            <li key={(shown - 1) * PAGE + i} className="flex gap-2">
              <span className="shrink-0 text-slate-500">{l.time ?? ""}</span>
              <span className={`min-w-0 break-words whitespace-pre-wrap ${l.text.startsWith("— ") ? "font-semibold text-white" : ""}`}>{l.text}</span>
              {l.command && <CopyButton text={l.command} className="ml-auto shrink-0 border-slate-600 bg-slate-800 text-slate-200 hover:bg-slate-700" />}
            </li>
          ))}
        </ol>
      </section>
    </div>
  );
}
