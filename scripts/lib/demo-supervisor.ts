// The demo's child supervision: long-running services (the dashboard, the worker) each in its own process
// group, so that the demo — not the terminal — decides the order in which they stop, and a stop reaches
// every process a service started (next-server's children, tsx's node child), not only the one we spawned.
//
// Why the spawn is here and not in lib/ops/exec.ts: exec.ts runs commands to completion for jobs; these are
// services that run until told to stop, need a process group of their own and are signalled as a group.
// Argument arrays, never a shell, as in exec.ts.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";

export interface ServiceSpec {
  name: string;
  file: string;
  args: string[];
  env: Record<string, string | undefined>;
  cwd?: string;
  /** Each line the service writes to stdout; without it, stdout goes to the demo's stdout. */
  onStdoutLine?: (line: string) => void;
  /** How long a stop waits after SIGTERM before it sends SIGKILL to the whole group (default 10 s). */
  stopTimeoutMs?: number;
  /** A service that is meant to finish (a build): its exit is not reported as unexpected. */
  oneShot?: boolean;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Service {
  readonly name: string;
  readonly pid: number;
  /** Its start time (see startTimeOf), read at spawn: tells it from a later process with the same pid. */
  readonly startTime: number | null;
  /** Resolves when the service's own process has exited. */
  readonly exited: Promise<ExitStatus>;
  running(): boolean;
}

export interface StopResult {
  name: string;
  /** "term": the group ended after SIGTERM; "kill": it needed SIGKILL; "gone": nothing was running. */
  how: "term" | "kill" | "gone";
}

interface Entry {
  spec: ServiceSpec;
  child: ChildProcess;
  service: Service;
  stopping: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** True while any process is in process group `pgid` (kill with signal 0 only checks). */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/** SIGTERM to the group, wait up to `timeoutMs` for every member to exit, then SIGKILL the group. */
export async function stopGroup(pgid: number, timeoutMs: number): Promise<"term" | "kill" | "gone"> {
  if (!groupAlive(pgid)) return "gone";
  signalGroup(pgid, "SIGTERM");
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!groupAlive(pgid)) return "term";
    await sleep(50);
  }
  signalGroup(pgid, "SIGKILL");
  // SIGKILL cannot be caught; the group is gone as soon as the kernel has reaped it.
  const killDeadline = Date.now() + 5000;
  while (groupAlive(pgid) && Date.now() < killDeadline) await sleep(20);
  return "kill";
}

export class Supervisor {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly opts: {
      /** Called when a service exits that nobody asked to stop. */
      onUnexpectedExit: (name: string, status: ExitStatus) => void;
    },
  ) {}

  start(spec: ServiceSpec): Service {
    if (this.entries.get(spec.name)?.service.running()) throw new Error(`${spec.name} is already running`);
    const child = spawn(spec.file, spec.args, {
      cwd: spec.cwd,
      env: spec.env as NodeJS.ProcessEnv,
      // Its own process group (pgid = its pid): a Ctrl-C in the terminal reaches the demo only, which
      // then stops the services in order; and a group signal reaches the service's own children.
      detached: true,
      stdio: ["ignore", spec.onStdoutLine ? "pipe" : "inherit", "inherit"],
      shell: false,
    });
    if (child.pid === undefined) {
      // spawn reports ENOENT and the like asynchronously through 'error'; there is no process to supervise.
      throw new Error(`${spec.name}: could not start ${spec.file}`);
    }
    let exited = false;
    const exitedPromise = new Promise<ExitStatus>((resolve) => {
      child.once("exit", (code, signal) => {
        exited = true;
        resolve({ code, signal });
      });
      child.once("error", () => {
        exited = true;
        resolve({ code: null, signal: null });
      });
    });
    if (spec.onStdoutLine) {
      let buf = "";
      child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf("\n")) >= 0) {
          spec.onStdoutLine!(buf.slice(0, i));
          buf = buf.slice(i + 1);
        }
      });
    }
    const service: Service = {
      name: spec.name,
      pid: child.pid,
      startTime: startTimeOf(child.pid) ?? null,
      exited: exitedPromise,
      running: () => !exited,
    };
    const entry: Entry = { spec, child, service, stopping: false };
    this.entries.set(spec.name, entry);
    void exitedPromise.then((status) => {
      if (!entry.stopping && !spec.oneShot) this.opts.onUnexpectedExit(spec.name, status);
    });
    return service;
  }

  /** The process groups of the running services (for the demo's lock file). */
  groups(): { name: string; pgid: number; startTime: number | null }[] {
    return [...this.entries.values()]
      .filter((e) => e.service.running())
      .map((e) => ({ name: e.spec.name, pgid: e.service.pid, startTime: e.service.startTime }));
  }

  /**
   * Stops one service and everything in its process group: SIGTERM, then SIGKILL after its timeout. Also
   * cleans up a group whose leader has already exited but whose children live on.
   */
  async stop(name: string): Promise<StopResult> {
    const entry = this.entries.get(name);
    if (!entry) return { name, how: "gone" };
    entry.stopping = true;
    const how = await stopGroup(entry.service.pid, entry.spec.stopTimeoutMs ?? 10_000);
    await entry.service.exited;
    return { name, how };
  }
}

/**
 * Calls `onLost` when the process that started us goes away without a signal reaching us: our parent exits
 * (npm killed with SIGKILL), or — when our parent is only a go-between that does not pass signals on (a
 * shell, the tsx CLI) — the process above it exits. A demo under nohup whose npm lives on is left alone.
 * Linux only (/proc); elsewhere it does nothing. Returns a function that stops watching.
 */
export function watchLaunchers(onLost: (why: string) => void, intervalMs = 1000): () => void {
  const parent = process.ppid;
  const grandparent = parentOf(parent);
  if (grandparent === undefined) return () => {};
  const goBetween = isGoBetween(parent);
  const timer = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(timer);
      onLost(`its parent process ${parent} exited`);
      return;
    }
    const now = parentOf(parent);
    if (goBetween && now !== undefined && now !== grandparent) {
      clearInterval(timer);
      onLost(`the process that started it (pid ${grandparent}) exited`);
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

function isGoBetween(pid: number): boolean {
  try {
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    const name = (argv[0] ?? "").split("/").pop() ?? "";
    return ["sh", "dash", "bash"].includes(name) || argv.slice(0, 2).some((a) => /(^|\/)tsx$|tsx\/dist\/cli/.test(a));
  } catch {
    return false;
  }
}

/** The parent pid of `pid`, from /proc/<pid>/stat (field 4, after the parenthesised command name). */
export function parentOf(pid: number): number | undefined {
  return statField(pid, 4);
}

/** The start time of `pid` in clock ticks since boot (field 22): tells a process from a later one with its pid. */
export function startTimeOf(pid: number): number | undefined {
  return statField(pid, 22);
}

function statField(pid: number, field: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const value = Number(rest[field - 3]);
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
