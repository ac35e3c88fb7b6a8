// The job worker: npm run worker. Runs queued jobs (backups, restores, rollbacks…) under leases and
// reconciles dead jobs; runs until SIGTERM/SIGINT, then fences its running jobs and stops cleanly.
import { closeDb } from "@/lib/db/client";
import { refreshAllApps } from "@/lib/jobs/refresh";
import { startWorker } from "@/lib/jobs/worker";

const REFRESH_MS = 5 * 60_000;

async function main() {
  // The runner's promises never reject; if one ever did, say so loudly rather than die mid-job.
  process.on("unhandledRejection", (reason) => {
    console.error(`[worker] UNHANDLED REJECTION: ${reason instanceof Error ? reason.stack : String(reason)}`);
  });
  const worker = await startWorker();
  const log = (line: string) => console.log(`[worker] ${line}`);
  const tick = () => void refreshAllApps(log).catch(() => {});
  const refreshStart = setTimeout(tick, 2_000);
  const refresh = setInterval(tick, REFRESH_MS);
  let stopping = false;
  const stop = (sig: string) => {
    if (stopping) return;
    stopping = true;
    clearTimeout(refreshStart);
    clearInterval(refresh);
    log(`${sig}: stopping`);
    void worker
      .stop(`the worker was stopped (${sig})`)
      .then(() => closeDb())
      .finally(() => process.exit(0));
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main().catch((e) => {
  console.error(`[worker] could not start: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
