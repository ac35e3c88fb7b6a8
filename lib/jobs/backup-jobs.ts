import { requireAppBySlug, type AppView } from "@/lib/db/queries/apps";
import { startAdopt } from "./adopt-job";
import { startVerify } from "./backup-admin";
import { startDrill } from "./drill-job";
import type { StartedJob } from "./runner";

// The jobs that act on one existing backup, by name: the CLI's `verify|drill|adopt` and the API's
// POST /api/apps/:app/backups/:id/<name> start them the same way the dashboard's buttons do.

export type BackupJobName = "verify" | "drill" | "adopt";

export const backupJobs: Record<BackupJobName, { what: string; start: (app: AppView, backupId: number, actor: string) => Promise<StartedJob> }> = {
  // A missing dump's file put back: verifying it is how it becomes restorable again.
  verify: { what: "verifying a backup", start: startVerify },
  drill: { what: "restore drill", start: startDrill },
  adopt: { what: "verifying and adopting", start: startAdopt },
};

/** The API's handler for POST /api/apps/:app/backups/:id/<name>: the job's id and where to poll it. */
export const startBackupJobFor =
  (name: BackupJobName) =>
  async (input: { app: string; id: number }, ctx: { user: { email: string } }): Promise<{ jobId: number; poll: string }> => {
    const app = await requireAppBySlug(input.app);
    const { jobId } = await backupJobs[name].start(app, input.id, ctx.user.email);
    return { jobId, poll: `/api/apps/${app.slug}/jobs/${jobId}` };
  };
