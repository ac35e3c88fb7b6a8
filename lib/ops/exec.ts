import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { Readable, Writable } from "node:stream";
import { inheritedProcessEnv } from "@/lib/env";
import { currentJobScope } from "./context";

// The only place Lifeboat starts processes: argument arrays, never a shell (Dokploy's shell strings became
// command-injection advisories; its execFile code never did).

export interface RunOptions {
  /** Extra environment for the child. The child never inherits the dashboard's secrets: see inheritedProcessEnv(). */
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Kill the process (SIGTERM, then SIGKILL 5 s later) after this long. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Called with each complete stderr line as it arrives (job logs). */
  onStderrLine?: (line: string) => void;
  /** Called with each complete stdout line as it arrives. */
  onStdoutLine?: (line: string) => void;
  /** Keep at most this many bytes of stdout in the result (default 1 MiB). */
  maxStdout?: number;
  /** Text written to the child's stdin, then closed. */
  input?: string;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderrTail: string;
  timedOut: boolean;
}

/** A process that failed: its argv (never carries secrets), exit code and the tail of its stderr, for the job log. */
export class ProcessError extends Error {
  constructor(
    readonly argv: string[],
    readonly code: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly stderrTail: string,
    readonly timedOut = false,
  ) {
    const how = timedOut ? "timed out" : signal ? `was killed by ${signal}` : `exited with code ${code}`;
    super(`${argv[0]} ${how}${stderrTail ? `: ${lastLine(stderrTail)}` : ""}`);
    this.name = "ProcessError";
  }
}

const STDERR_TAIL = 8 * 1024;

/** Runs a program and resolves with its output; rejects with ProcessError when it does not exit 0. */
export async function run(file: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const result = await runUnchecked(file, args, opts);
  if (result.code !== 0) {
    throw new ProcessError([file, ...args], result.code, result.signal, result.stderrTail, result.timedOut);
  }
  return result;
}

/** Like run(), but resolves whatever the exit status is. */
export function runUnchecked(file: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return launch(file, args, opts).done;
}

/** A running process whose stdin and stdout the caller streams itself (lib/ops/dump-pipe.ts). */
export interface StreamingProcess {
  argv: string[];
  /** Its stdout, for the caller to read (null when not asked for). */
  stdout: Readable | null;
  /** Its stdin, for the caller to write and end (null when not asked for). */
  stdin: Writable | null;
  /** Resolves when it has exited and its pipes are closed (RunResult.stdout stays empty). */
  done: Promise<RunResult>;
  /** SIGTERM to its process group, then SIGKILL 5 s later. */
  kill(): void;
}

/** Starts a program with its stdout and/or stdin as streams; the same rules as run() (no shell, own group, abort). */
export function spawnStreaming(file: string, args: string[], opts: Omit<RunOptions, "input" | "onStdoutLine" | "maxStdout"> & { stdin?: boolean; stdout?: boolean }): StreamingProcess {
  const l = launch(file, args, opts, { stdin: !!opts.stdin, stdout: !!opts.stdout });
  return { argv: [file, ...args], stdout: opts.stdout ? l.child.stdout : null, stdin: opts.stdin ? l.child.stdin : null, done: l.done, kill: l.kill };
}

function launch(file: string, args: string[], opts: RunOptions, stream?: { stdin: boolean; stdout: boolean }): { child: ChildProcess; done: Promise<RunResult>; kill: () => void } {
  let child!: ChildProcess;
  let killFn: () => void = () => {};
  const done = new Promise<RunResult>((resolve, reject) => {
    const env = { ...inheritedProcessEnv(), ...definedOnly(opts.env ?? {}) };
    const [cmd, argv] = withParentDeathSignal(file, args);
    // Own process group (detached): an abort kills the whole group (pg_dump -j workers, a shell's children).
    child = spawn(cmd, argv, {
      cwd: opts.cwd,
      env: env as NodeJS.ProcessEnv,
      stdio: [opts.input === undefined && !stream?.stdin ? "ignore" : "pipe", "pipe", "pipe"],
      shell: false,
      detached: true,
    });
    if (child.pid !== undefined) liveGroups.add(child.pid);
    const signals = [opts.signal, currentJobScope()?.signal].filter((s): s is AbortSignal => !!s);
    const maxStdout = opts.maxStdout ?? 1024 * 1024;
    let stdout = "";
    let stderrTail = "";
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const splitter = (cb?: (line: string) => void) => {
      let buf = "";
      return {
        push(chunk: string) {
          if (!cb) return;
          buf += chunk;
          let i: number;
          while ((i = buf.indexOf("\n")) >= 0) {
            cb(buf.slice(0, i));
            buf = buf.slice(i + 1);
          }
        },
        flush() {
          if (cb && buf) cb(buf);
          buf = "";
        },
      };
    };
    const errLines = splitter(opts.onStderrLine);
    const outLines = splitter(opts.onStdoutLine);

    if (!stream?.stdout) {
      child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
        if (stdout.length < maxStdout) stdout += chunk.slice(0, maxStdout - stdout.length);
        outLines.push(chunk);
      });
    }
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL);
      errLines.push(chunk);
    });
    if (opts.input !== undefined && child.stdin) {
      child.stdin.on("error", () => {});
      child.stdin.end(opts.input);
    }

    const kill = () => {
      if (killTimer) return;
      killGroup(child, "SIGTERM");
      killTimer = setTimeout(() => killGroup(child, "SIGKILL"), 5000);
      killTimer.unref();
    };
    killFn = kill;
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          kill();
        }, opts.timeoutMs)
      : undefined;
    const onAbort = () => kill();
    const unlisten = () => signals.forEach((s) => s.removeEventListener("abort", onAbort));
    // An abort that happened before the call would never fire the listener: honour it at once.
    if (signals.some((s) => s.aborted)) kill();
    else signals.forEach((s) => s.addEventListener("abort", onAbort, { once: true }));

    child.on("error", (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      if (child.pid !== undefined) liveGroups.delete(child.pid);
      unlisten();
      if (err.code === "ENOENT") {
        reject(new ProcessError([file, ...args], null, null, `${file}: command not found`));
      } else {
        reject(err);
      }
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      if (child.pid !== undefined) liveGroups.delete(child.pid);
      unlisten();
      errLines.flush();
      outLines.flush();
      resolve({ code, signal, stdout, stderrTail, timedOut });
    });
  });
  return { child, done, kill: () => killFn() };
}

// Process groups of children still running: killed when this process exits (a worker stopping, a CLI's
// Ctrl-C). A kill -9 runs no handler: the parent-death signal below covers that case.
const liveGroups = new Set<number>();
let exitHook = false;

function killGroup(child: ChildProcess, sig: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, sig);
  } catch {
    child.kill(sig);
  }
}

function ensureExitHook(): void {
  if (exitHook) return;
  exitHook = true;
  process.on("exit", () => {
    for (const pgid of liveGroups) {
      try {
        process.kill(-pgid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  });
}

/** Process groups this process started that are still running (tests check them). */
export function runningChildGroups(): number[] {
  return [...liveGroups];
}

// Linux: util-linux setpriv sets PR_SET_PDEATHSIG and then execs the program itself (same pid), so the
// kernel kills pg_dump/pg_restore/psql when the process that started them dies, even by SIGKILL. Only for
// programs given by an existing absolute path, so "command not found" stays our own error.
const SETPRIV = "/usr/bin/setpriv";
let setprivOk: boolean | undefined;

function withParentDeathSignal(file: string, args: string[]): [string, string[]] {
  ensureExitHook();
  setprivOk ??= process.platform === "linux" && canExecute(SETPRIV);
  if (!setprivOk || !path.isAbsolute(file) || !canExecute(file)) return [file, args];
  return [SETPRIV, ["--pdeathsig", "KILL", "--", file, ...args]];
}

function canExecute(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

function lastLine(text: string): string {
  const lines = text.trim().split("\n");
  return lines[lines.length - 1] ?? "";
}
