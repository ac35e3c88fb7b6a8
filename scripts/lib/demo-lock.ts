// One demo per directory: <dir>/demo.lock.json names the demo process that uses the directory's cluster,
// app and ports, and the process groups of the services it started. A second start finds a live holder and
// refuses (without touching the cluster the holder uses); a holder that died without stopping (SIGKILL,
// power cut) is stale, and the groups it left behind are stopped before anything starts again.
import fs from "node:fs";
import path from "node:path";
import { groupAlive, startTimeOf, stopGroup } from "./demo-supervisor";

export interface LockRecord {
  pid: number;
  /** The holder's start time (see startTimeOf): a later process with the same pid is not the holder. */
  startTime: number | null;
  startedAt: string;
  dashboardPort?: number;
  groups: { name: string; pgid: number; startTime: number | null }[];
}

export type LockResult =
  | { ok: true; lock: DemoLock; stale?: LockRecord }
  | { ok: false; holder: LockRecord };

export function lockFile(dir: string): string {
  return path.join(dir, "demo.lock.json");
}

function isLive(rec: { pid: number; startTime: number | null }): boolean {
  try {
    process.kill(rec.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  const now = startTimeOf(rec.pid);
  return rec.startTime === null || now === undefined || now === rec.startTime;
}

function read(file: string): LockRecord | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as LockRecord;
  } catch {
    return undefined;
  }
}

export class DemoLock {
  private record: LockRecord;

  constructor(
    readonly file: string,
    pid = process.pid,
  ) {
    this.record = { pid, startTime: startTimeOf(pid) ?? null, startedAt: new Date().toISOString(), groups: [] };
  }

  /** Creates the file; false when another record is already there. */
  create(): boolean {
    try {
      fs.writeFileSync(this.file, JSON.stringify(this.record, null, 2), { flag: "wx", mode: 0o600 });
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
      throw e;
    }
  }

  update(patch: Partial<Pick<LockRecord, "dashboardPort" | "groups">>): void {
    this.record = { ...this.record, ...patch };
    // Rewritten in place (write to a temp file, rename): a reader never sees half a record.
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(this.record, null, 2), { mode: 0o600 });
    fs.renameSync(tmp, this.file);
  }

  /** Removes the file if it is still ours. */
  release(): void {
    const now = read(this.file);
    if (now && now.pid === this.record.pid && now.startTime === this.record.startTime) fs.rmSync(this.file, { force: true });
  }
}

/** Takes the directory's lock, or says who holds it. A stale record is returned for cleanup and replaced. */
export function acquireDemoLock(dir: string): LockResult {
  fs.mkdirSync(dir, { recursive: true });
  const file = lockFile(dir);
  const lock = new DemoLock(file);
  let stale: LockRecord | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    if (lock.create()) return { ok: true, lock, stale };
    const holder = read(file);
    if (holder && isLive(holder)) return { ok: false, holder };
    // Unreadable (a crash mid-write) or its process is gone: stale.
    stale ??= holder;
    fs.rmSync(file, { force: true });
  }
  throw new Error(`could not take ${file}; remove it if no demo is running`);
}

/**
 * Stops the process groups a dead demo left running (a next-server still holding the port). A group is
 * touched only when its leader is gone or is still the process we started (same start time): Linux never
 * hands out a pid that still names a process group, so a live group whose leader is gone is the one we made.
 */
export async function stopStaleGroups(rec: LockRecord, log: (s: string) => void): Promise<void> {
  for (const g of rec.groups ?? []) {
    if (!groupAlive(g.pgid)) continue;
    const leaderNow = startTimeOf(g.pgid);
    if (leaderNow !== undefined && leaderNow !== g.startTime) continue;
    const how = await stopGroup(g.pgid, 5000);
    log(`stopped the ${g.name} a previous demo left running (process group ${g.pgid}${how === "kill" ? ", needed SIGKILL" : ""})`);
  }
}
