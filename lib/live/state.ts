import crypto from "node:crypto";
import { latestAuditId, listAppStateRows, type AppStateRow } from "@/lib/db/queries/live-state";
import { anyWorkerAlive } from "@/lib/db/queries/workers";
import { readCurrentRelease } from "@/lib/ops/releases";

// The version token an open page polls: it changes whenever anything the page shows may have changed —
// a job started, moved a phase or ended; a backup appeared, finished, was verified, resized or deleted;
// `current` moved; a release event was written; the app went up or down. Pages call router.refresh() on a
// change (components/live/live-refresh.tsx), so the data itself always comes from the page's own queries.

export interface AppState {
  app: string;
  job: { id: number; status: string; phase: string } | null;
  backups: { count: number; maxId: number | null; changedAt: string | null };
  currentRelease: string | null;
  liveness: { state: "up" | "down"; since: string } | null;
}

export interface LiveState {
  token: string;
  apps: AppState[];
  auditMaxId?: number | null;
  /** False when no worker has beaten within a lease: the layout's banner (part of the token, so it appears live). */
  workerAlive: boolean;
}

async function toAppState(r: AppStateRow): Promise<AppState & { extra: unknown[] }> {
  const currentRelease = r.deployRoot ? await readCurrentRelease(r.deployRoot).catch(() => null) : null;
  return {
    app: r.slug,
    job: r.jobId === null ? null : { id: r.jobId, status: r.jobStatus ?? "", phase: r.jobPhase ?? "" },
    backups: { count: r.backupsCount, maxId: r.backupsMaxId, changedAt: r.backupsChangedAt },
    currentRelease,
    liveness: r.liveness ? { state: r.liveness, since: r.livenessSince ?? "" } : null,
    // Not shown, but part of the token: release events and settings edits also refresh the page (progress does
    // not: JobProgress polls that itself, and a full refresh per percent would be heavy).
    extra: [r.eventsMaxId, r.updatedAt],
  };
}

function tokenOf(parts: unknown): string {
  return crypto.createHash("sha256").update(JSON.stringify(parts)).digest("base64url").slice(0, 16);
}

/** One app's state, or null when there is no such app. */
export async function appLiveState(slug: string): Promise<LiveState | null> {
  const [rows, workerAlive] = await Promise.all([listAppStateRows(slug), anyWorkerAlive()]);
  if (rows.length === 0) return null;
  const states = await Promise.all(rows.map(toAppState));
  return { token: tokenOf([states, workerAlive]), apps: states.map(({ extra: _extra, ...s }) => s), workerAlive };
}

/** Every app's state and the newest audit row: the apps list and the audit page. */
export async function allLiveState(): Promise<LiveState> {
  const [rows, auditMaxId, workerAlive] = await Promise.all([listAppStateRows(), latestAuditId(), anyWorkerAlive()]);
  const states = await Promise.all(rows.map(toAppState));
  return { token: tokenOf([states, auditMaxId, workerAlive]), apps: states.map(({ extra: _extra, ...s }) => s), auditMaxId, workerAlive };
}
