import type { JobView } from "@/lib/db/queries/jobs";
import { cloneSteps } from "@/lib/ops/clone";
import { dumpSteps } from "@/lib/ops/dump";
import type { JournalEntry } from "@/lib/ops/journal";
import { recoverBackup } from "./backup-recovery";
import { backupJobSteps } from "./backup-steps";
import { recoverChange } from "./rollback-recovery";

// A guarded release whose process died (lib/jobs/release-job.ts): its journal holds the backup's steps and
// then the release switch's. Each part is reconciled by its own recovery, with its own steps: the backup row
// is settled (kept when the dump or clone completed), then the switch is a release switch's recovery.

const backupStepNames = new Set([backupJobSteps, dumpSteps, cloneSteps].flatMap((s) => s.names));

export async function recoverRelease(job: JobView, journal: readonly JournalEntry[], log: (line: string) => void): Promise<string[]> {
  const backupPart = journal.filter((j) => backupStepNames.has(j.step));
  const changePart = journal.filter((j) => !backupStepNames.has(j.step));
  const decisions = await recoverBackup(job, backupPart);
  // The change record is a release switch's, so undo and the health policy read it as one.
  const release = typeof job.params.release === "string" ? job.params.release : "?";
  decisions.push(...(await recoverChange({ ...job, type: "switch_release" }, changePart, log, { release })));
  return [...new Set(decisions)];
}
