import { env } from "@/lib/env";
import { recoverInterruptedJobs } from "./index";
import { refreshAllApps } from "./refresh";

const REFRESH_MS = 5 * 60_000;
const g = globalThis as unknown as { __lifeboatBackground?: NodeJS.Timeout };

export async function startBackgroundWork(): Promise<void> {
  if (!env().DATABASE_URL || g.__lifeboatBackground) return;
  const log = (line: string) => console.log(`[lifeboat] ${line}`);
  if (env().LIFEBOAT_RECOVER_ON_START === "1") {
    try {
      for (const r of await recoverInterruptedJobs()) {
        log(`recovered job #${r.jobId} (${r.app}, ${r.type}): ${r.error ?? r.decisions.join("; ")}`);
      }
    } catch (e) {
      log(`recovery on start failed: ${e instanceof Error ? e.message : String(e)} (use "Recover" on the app page)`);
    }
  }
  const tick = () => void refreshAllApps(log).catch(() => {});
  setTimeout(tick, 2_000).unref();
  g.__lifeboatBackground = setInterval(tick, REFRESH_MS);
  g.__lifeboatBackground.unref();
}
