"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useRef } from "react";
import { formatBytes } from "@/lib/format";
import { isFinal } from "@/lib/jobs/job-status";
import { useJob } from "./use-job";

/**
 * Live status of one job: polls while it runs, then refreshes the page's server data once it ends (unless
 * the caller refreshes itself, like a dialog that would otherwise vanish with the button that opened it).
 */
export function JobProgress({ app, jobId, title, refreshOnEnd = true, showLog = true }: { app: string; jobId: number; title?: string; refreshOnEnd?: boolean; showLog?: boolean }) {
  const router = useRouter();
  const { data, error } = useJob(app, jobId);
  const ended = useRef(false);
  useEffect(() => {
    if (data && isFinal(data.status) && !ended.current) {
      ended.current = true;
      if (refreshOnEnd) router.refresh();
    }
  }, [data, router, refreshOnEnd]);

  if (error) return <p className="text-sm text-red-700">Could not read job #{jobId}: {error.message}</p>;
  if (!data) return <p className="text-sm text-slate-500">Starting job #{jobId}…</p>;

  const pct =
    data.progressTotal && data.progressTotal > 0
      ? Math.min(100, Math.round(((data.progressDone ?? 0) / data.progressTotal) * 100))
      : null;
  const tone =
    data.status === "ok" ? "bg-emerald-600" : data.status === "running" || data.status === "queued" ? "bg-sky-600" : data.status === "lost contact" ? "bg-amber-500" : "bg-red-600";
  const lines = data.log.split("\n").filter(Boolean).slice(-6);

  return (
    <section aria-label={`Job ${jobId}`} data-testid="job-progress" data-status={data.status} className="space-y-2 rounded-md border border-slate-200 bg-white p-3">
      <div className="flex items-baseline justify-between gap-4 text-sm">
        <span className="font-medium text-slate-900">
          {title ?? data.type} · job #{data.id}
        </span>
        <span className={data.status === "failed" || data.status === "interrupted" || data.status === "lost contact" ? "font-semibold text-red-700" : "text-slate-600"}>
          {data.status === "running" ? data.phase : data.status === "lost contact" ? `lost contact · ${data.phase}` : data.status}
          {pct !== null && data.status === "running" ? ` · ${pct}%` : ""}
          {data.progressDone ? ` · ${formatBytes(data.progressDone)}` : ""}
        </span>
      </div>
      <div
        className="h-2 overflow-hidden rounded bg-slate-100"
        role="progressbar"
        aria-label="progress"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={data.status === "ok" ? 100 : (pct ?? undefined)}
      >
        <div
          className={`h-full ${tone} transition-all ${pct === null && data.status === "running" ? "w-1/3 animate-pulse" : ""}`}
          style={pct !== null || data.status !== "running" ? { width: `${data.status === "running" ? pct : 100}%` } : undefined}
        />
      </div>
      {data.status === "lost contact" && (
        <p className="text-sm text-red-700">
          The worker running this job stopped renewing its lease. If it does not come back, a worker&apos;s watchdog reconciles the job
          within seconds (is a worker running? <code>npm run worker</code>).
        </p>
      )}
      {data.status === "queued" && <p className="text-sm text-slate-600">Waiting for a worker to take it.</p>}
      {data.error && <p className="whitespace-pre-wrap text-sm text-red-700">{data.error}</p>}
      {showLog && lines.length > 0 && (
        <>
          <pre className="max-h-32 overflow-auto rounded bg-slate-950 p-2 font-mono text-xs leading-5 text-slate-200">{lines.join("\n")}</pre>
          <Link href={`/apps/${app}/jobs/${jobId}`} className="inline-block text-xs text-sky-700 hover:underline">
            Whole log, phases and evidence →
          </Link>
        </>
      )}
    </section>
  );
}
