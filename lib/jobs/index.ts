// Importing the job modules registers their recovery handlers.
import "./backup-recovery";
import "./rollback-recovery";

export { startBackup, type BackupRequest } from "./backup-job";
export { recoverInterruptedJobs, type RecoveryReport } from "./recovery";
export {
  previewRollback,
  startRestore,
  startRollback,
  startSwitchRelease,
  startUndo,
  type PreviewRequest,
  type RollbackPreview,
} from "./rollback-job";
export type { RestoreRequest, RollbackRequest, SwitchReleaseRequest, UndoRequest } from "./rollback-resolve";
export type { RollbackJobResult } from "./rollback-run";
export { startJob, type JobOutcome } from "./runner";
