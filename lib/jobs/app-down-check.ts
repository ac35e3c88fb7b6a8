import { getAppById } from "@/lib/db/queries/apps";
import { setJobResult } from "@/lib/db/queries/jobs";
import { OpError } from "@/lib/ops/errors";
import { probeApp, recordProbeAndAnnounce } from "./app-probe";
import type { JobBody } from "./runner";

// A job that leaves the app down never ends as a plain "ok" (a clone that ended the app's sessions once
// crashed it: the job said ok through minutes of outage). Backup, verify and delete jobs probe the app's
// health URL before and after; up before and down after (for a few seconds: a pool reconnecting is not an
// outage) fails the job with code "app_down", saying what the job itself did. Change jobs health-check in
// their own sequence (lib/ops/rollback.ts).

const SETTLE_MS = 5000;

export function withAppDownCheck(body: JobBody, settleMs = SETTLE_MS): JobBody {
  return async (ctx, job) => {
    const app = await getAppById(job.appId);
    const url = app?.healthUrl ?? null;
    const before = url ? await probeApp(url) : null;
    const result = await body(ctx, job);
    if (!url || !before?.up) return result;
    let after = await probeApp(url);
    for (let waited = 0; !after.up && waited < settleMs; waited += 1000) {
      await new Promise((r) => setTimeout(r, 1000));
      after = await probeApp(url);
    }
    await recordProbeAndAnnounce(job.appId, app!.slug, after).catch(() => {});
    if (after.up) return result;
    // The job's own result stays readable (the backup it made, say): the row keeps a failed body's result.
    if (result) await setJobResult(ctx.jobId, result).catch(() => {});
    ctx.log(`the app was up when this job started and is DOWN now: ${url} ${after.error ?? "did not answer"}`);
    throw new OpError(
      "app_down",
      `The ${job.type.replace("_", " ")} itself completed, but ${app!.slug} is down since it ran: ${url} ${after.error ?? "did not answer"}. ` +
        `Restart the app (its start command, or by hand) and check its logs.`,
    );
  };
}
