// What a job's row says to a reader (UI, API, CLI): pure, so client and server code can share it.

export type DisplayStatus = "queued" | "running" | "lost contact" | "ok" | "failed" | "interrupted";

interface LeaseFields {
  status: string;
  leaseExpiresAt: Date | string | null;
}

/**
 * A running job whose lease is not being renewed: its worker died, hangs or cannot reach the metadata
 * database. Never shown as running; the watchdog reconciles it once it is proven dead. A running row
 * without any lease was written by an older version (or a process that never leased it): lost too.
 */
export function leaseExpired(job: LeaseFields, now = Date.now()): boolean {
  if (job.status !== "running") return false;
  if (job.leaseExpiresAt === null) return true;
  return new Date(job.leaseExpiresAt).getTime() < now;
}

export function displayStatus(job: LeaseFields, now = Date.now()): DisplayStatus {
  if (leaseExpired(job, now)) return "lost contact";
  return job.status as DisplayStatus;
}

export function isFinal(status: string): boolean {
  return status === "ok" || status === "failed" || status === "interrupted";
}
