"use client";

import { useQuery } from "@tanstack/react-query";
import { isFinal, type DisplayStatus } from "@/lib/jobs/job-status";

export interface JobStatus {
  id: number;
  type: string;
  /** As the API shows it: a running job whose lease expired is "lost contact". */
  status: DisplayStatus;
  phase: string;
  progressDone: number | null;
  progressTotal: number | null;
  log: string;
  error: string | null;
  actor: string;
  startedAt: string;
  finishedAt: string | null;
  result: Record<string, unknown> | null;
}

async function fetchJob(app: string, jobId: number): Promise<JobStatus> {
  const res = await fetch(`/api/apps/${encodeURIComponent(app)}/jobs/${jobId}`, { cache: "no-store" });
  const body = await res.json().catch(() => null);
  if (!res.ok || body?.status !== "ok") throw new Error(body?.message ?? `HTTP ${res.status}`);
  return body.data as JobStatus;
}

/**
 * One job's live status, polled while it runs. Every view of the same job (progress bar, dialog end state,
 * job page) shares one query, so they never disagree about whether it ended.
 */
export function useJob(app: string, jobId: number) {
  return useQuery({
    queryKey: ["job", app, jobId],
    queryFn: () => fetchJob(app, jobId),
    // Lost contact is not the end: the watchdog reconciles the job soon, so keep polling.
    refetchInterval: (q) => (q.state.data && isFinal(q.state.data.status) ? false : 500),
  });
}
