import { apiRoute } from "@/lib/auth/api-auth";
import { requireAppBySlug } from "@/lib/db/queries/apps";
import { getNewestReleaseJob } from "@/lib/db/queries/release-jobs";
import { startRelease } from "@/lib/jobs/release-job";
import { releaseStatus, waitForRelease } from "@/lib/jobs/release-status";
import { OpError } from "@/lib/ops/errors";
import { activateReleaseSchema, releaseStatusSchema } from "@/lib/validation/releases";

export const dynamic = "force-dynamic";

/**
 * A guarded release (operator): verified backup → stop → switch current → start → health → the app's health
 * policy on failure. Idempotent per release name (lib/jobs/release-job.ts says exactly when a new job starts).
 * `?wait=N` holds the answer up to N s until the outcome is final; `data.final` says whether it is.
 */
export const POST = apiRoute({
  name: "api.releases.activate",
  role: "operator",
  schema: activateReleaseSchema,
  audit: { app: (input) => input.app },
  handler: async (input, { user, note, req }) => {
    const app = await requireAppBySlug(input.app);
    const started = await startRelease({ app, release: input.name, actor: user.email, actorRole: user.role, method: input.method, endSessions: input.endSessions });
    note(started.summary);
    const status = await waitForRelease(app, started.jobId, input.wait * 1000, { signal: req.signal });
    return { ...status, reused: started.reused, ...(started.warning ? { warning: started.warning } : {}) };
  },
});

/** The release's status (viewer): its newest release job, or `?job=ID`; `?wait=N` long-polls as above. */
export const GET = apiRoute({
  name: "api.releases.status",
  role: "viewer",
  schema: releaseStatusSchema,
  handler: async (input, { req }) => {
    const app = await requireAppBySlug(input.app);
    const jobId = input.job ?? (await getNewestReleaseJob(app.id, input.name))?.id;
    if (jobId === undefined) throw new OpError("not_found", `No release job for ${input.name} on ${app.slug}.`);
    const status = input.wait > 0 ? await waitForRelease(app, jobId, input.wait * 1000, { signal: req.signal }) : await releaseStatus(app, jobId);
    if (status.release !== input.name) throw new OpError("not_found", `Job #${jobId} is the release of ${status.release}, not ${input.name}.`);
    return status;
  },
});
