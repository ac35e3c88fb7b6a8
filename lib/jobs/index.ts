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
/** What a restore, rollback, switch or undo changed (its job's result): lib/ops/change-record.ts. */
export type { ChangeRecord as RollbackJobResult } from "@/lib/ops/change-record";
export { startJob, type JobOutcome } from "./runner";
