import type { Job } from "@/lib/db/schema";
// Importing the job modules registers their recovery handlers (the watchdog runs them).
import "./backup-recovery";
import "./rollback-recovery";
import { runDeleteJob, runVerifyJob } from "./backup-admin";
import { runAdoptJob } from "./adopt-job";
import { withAppDownCheck } from "./app-down-check";
import { runBackupJob } from "./backup-job";
import { runReleaseJob } from "./release-job";
import { runDrillJob } from "./drill-job";
import { runChangeJob } from "./rollback-run";
import type { JobBody } from "./runner";

/** What the worker runs for each job type. The bodies stay beside the code that starts them. */
export const jobBodies: Partial<Record<Job["type"], JobBody>> = {
  backup: withAppDownCheck(runBackupJob),
  verify: withAppDownCheck(runVerifyJob),
  delete_backup: withAppDownCheck(runDeleteJob),
  restore: runChangeJob,
  rollback: runChangeJob,
  switch_release: runChangeJob,
  undo: runChangeJob,
  release: runReleaseJob,
  adopt: runAdoptJob,
  drill: runDrillJob,
};
