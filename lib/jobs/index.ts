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
  type RestoreRequest,
  type RollbackJobResult,
  type RollbackPreview,
  type RollbackRequest,
  type SwitchReleaseRequest,
  type UndoRequest,
} from "./rollback-job";
export { startJob, type JobOutcome } from "./runner";
