import { clearRecovered, markNewlyOverdue } from "@/lib/db/queries/overdue";
import { emitAppEvent } from "@/lib/events/emit";

/**
 * The dead-man's switch, one pass (every worker runs it on its watchdog interval). Whatever the cause — a
 * schedule missed, the worker down, backups failing — an app without a verified backup in staleAfterHours is
 * marked overdue and `backup.overdue` is emitted once for that episode; the mark clears when a verified backup
 * lands, and a later lapse is a new episode. Being a check of what exists rather than a timer, a worker that
 * was down announces the lapse on its first pass after it is back. Never rejects.
 *
 * Between marking and emitting a crash loses that one event (the mark stays, so it is not sent twice either);
 * emitAppEvent writes with its own client, so the two cannot share a transaction.
 */
export async function checkOverdueApps(log: (line: string) => void): Promise<void> {
  try {
    for (const a of await clearRecovered()) log(`${a.slug}: a verified backup is recent again; no longer overdue`);
    for (const a of await markNewlyOverdue()) {
      const last = a.lastVerifiedAt ? `the last one was taken ${a.lastVerifiedAt.toISOString()}` : "it has none";
      const failing = a.lastAttemptStatus === "failed" ? "; the latest attempt failed" : "";
      const summary = `${a.slug} has no verified backup in the last ${a.staleAfterHours} h (${last}${failing}).`;
      log(`overdue: ${summary}`);
      await emitAppEvent({
        appId: a.id,
        kind: "backup.overdue",
        summary,
        details: { staleAfterHours: a.staleAfterHours, lastVerifiedAt: a.lastVerifiedAt?.toISOString() ?? null, lastAttemptStatus: a.lastAttemptStatus },
      });
    }
  } catch (e) {
    const cause = (e as { cause?: unknown }).cause;
    log(`overdue check: ${cause instanceof Error ? cause.message : e instanceof Error ? e.message : String(e)}`);
  }
}
