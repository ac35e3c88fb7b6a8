import { recoverInterruptedJobs } from "./recovery";

/**
 * One watchdog pass: reconciles every running job that is proven dead (lib/jobs/liveness.ts). Every worker
 * runs it every LIFEBOAT_WATCHDOG_MS; two workers cannot both take a job over (the epoch and the app lock).
 * Never rejects. It does not look for leftover staging databases (that holds each app's lock and reaches
 * each app's server): the Recover button and the CLI's recover do.
 */
export async function runWatchdog(log: (line: string) => void): Promise<void> {
  try {
    for (const r of await recoverInterruptedJobs("system (watchdog)", undefined, { leftovers: false })) {
      log(`recovered job #${r.jobId} (${r.app}, ${r.type}): ${r.error ?? r.decisions.join("; ")}`);
    }
  } catch (e) {
    // drizzle's "Failed query: <the whole SQL>" hides the reason: say the driver's.
    const cause = (e as { cause?: unknown }).cause;
    const why = cause instanceof Error ? cause.message : e instanceof Error ? e.message : String(e);
    log(`watchdog: ${why}`);
  }
}
