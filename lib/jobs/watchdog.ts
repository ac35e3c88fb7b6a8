import { recoverInterruptedJobs } from "./recovery";

/**
 * One watchdog pass: reconciles every running job that is proven dead (lib/jobs/liveness.ts). Every worker
 * runs it every LIFEBOAT_WATCHDOG_MS; two workers cannot both take a job over (the epoch and the app lock).
 * Never rejects.
 */
export async function runWatchdog(log: (line: string) => void): Promise<void> {
  try {
    for (const r of await recoverInterruptedJobs("system (watchdog)")) {
      log(`recovered job #${r.jobId} (${r.app}, ${r.type}): ${r.error ?? r.decisions.join("; ")}`);
    }
  } catch (e) {
    // drizzle's "Failed query: <the whole SQL>" hides the reason: say the driver's.
    const cause = (e as { cause?: unknown }).cause;
    const why = cause instanceof Error ? cause.message : e instanceof Error ? e.message : String(e);
    log(`watchdog: ${why}`);
  }
}
