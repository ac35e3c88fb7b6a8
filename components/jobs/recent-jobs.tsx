import Link from "next/link";
import type { JobView } from "@/lib/db/queries/jobs";
import { formatAge, formatDuration } from "@/lib/format";
import { displayStatus } from "@/lib/jobs/job-status";
import { RecoverButton } from "./recover-button";
import { RelativeTime } from "@/components/ui/relative-time";

export function RecentJobs({ app, jobs, canRecover }: { app: string; jobs: JobView[]; canRecover: boolean }) {
  const interrupted = jobs.some((j) => j.status === "interrupted" || displayStatus(j) === "lost contact");
  return (
    <div className="space-y-2">
      {jobs.length === 0 ? (
        <p className="text-sm text-slate-500">No jobs yet.</p>
      ) : (
        <ul className="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white text-sm">
          {jobs.map((j) => {
            const shown = displayStatus(j);
            return (
            <li key={j.id} className="flex flex-wrap items-baseline justify-between gap-2 px-3 py-2">
              <span>
                <Link href={`/apps/${app}/jobs/${j.id}`} className="font-medium text-slate-900 hover:underline">#{j.id} {j.type.replace("_", " ")}</Link>{" "}
                <span className="text-slate-500">by {j.actor}, <RelativeTime at={j.startedAt} /></span>
              </span>
              <span className={shown === "ok" ? "text-emerald-700" : shown === "running" || shown === "queued" ? "text-sky-700" : "text-red-700"}>
                {shown}
                {j.finishedAt ? ` · ${formatDuration(j.finishedAt.getTime() - j.startedAt.getTime())}` : ` · ${j.phase}`}
              </span>
              {j.error && <p className="w-full text-xs break-words whitespace-pre-wrap text-red-700">{j.error}</p>}
            </li>
            );
          })}
        </ul>
      )}
      {canRecover && interrupted && <RecoverButton app={app} />}
    </div>
  );
}
