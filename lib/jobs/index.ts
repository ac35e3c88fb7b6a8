// Importing the job modules registers their recovery handlers.
import "./backup-recovery";

export { startBackup, type BackupRequest } from "./backup-job";
export { recoverInterruptedJobs, type RecoveryReport } from "./recovery";
export { startJob, type JobOutcome } from "./runner";
