import os from "node:os";
import { takeOverJob, type RunningJobView } from "@/lib/db/queries/jobs";
import { env } from "@/lib/env";
import { tryLockApp, type AppLock } from "./lock";

// When may recovery act on a job marked running? Only when it is proven dead:
//   its lease has expired (nobody renewed it: the owner fences itself before that happens)
//   AND its app lock is free (no session of the owner still holds it)
//   AND, when the owner ran on this host, its pid is gone — unless the owner itself gave the job up
//   (fenced_reason set: its children are killed and ctx.step refuses, whatever the process does next).
// Then recovery takes it over: the epoch is bumped in the same statement that re-checks the lease, so the
// old owner's writes and journal steps are refused from that moment on.

export interface RecoveryIdentity {
  owner: string;
  workerId: number | null;
}

let identity: RecoveryIdentity | undefined;

/** The worker sets who takes dead jobs over (its watchdog); elsewhere it is this process. */
export function setRecoveryIdentity(id: RecoveryIdentity): void {
  identity = id;
}

function me(): RecoveryIdentity {
  return identity ?? { owner: `recovery@${os.hostname()}:${process.pid}`, workerId: null };
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Why a running job is not (yet) considered dead, or null when it is. */
export function notDeadBecause(job: RunningJobView): string | null {
  if (!job.leaseExpired) return "its lease is still being renewed";
  if (!job.fencedReason && job.workerHost === os.hostname() && job.workerPid !== null && pidAlive(job.workerPid)) {
    return `its worker (pid ${job.workerPid}) is still alive on this host`;
  }
  return null;
}

/**
 * Takes a dead job over for recovery: its app lock (free, or it is not dead) and a new epoch with a fresh
 * lease. Returns the lock (the caller releases it after recovery), or null when the job is not dead.
 */
export async function takeOverIfDead(job: RunningJobView): Promise<AppLock | null> {
  if (notDeadBecause(job)) return null;
  const lock = await tryLockApp(job.appId);
  if (!lock) return null;
  const who = me();
  const taken = await takeOverJob(job.id, job.epoch, who.owner, who.workerId, env().LIFEBOAT_LEASE_MS).catch(() => false);
  if (!taken) {
    await lock.release();
    return null;
  }
  return lock;
}
