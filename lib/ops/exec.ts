import { spawn, type ChildProcess } from "node:child_process";
import { inheritedProcessEnv } from "@/lib/env";

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
  return new Promise((resolve, reject) => {
    const env = { ...inheritedProcessEnv(), ...definedOnly(opts.env ?? {}) };
    const child: ChildProcess = spawn(file, args, {
      cwd: opts.cwd,
      env: env as NodeJS.ProcessEnv,
      stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      shell: false,
    });
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

    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      if (stdout.length < maxStdout) stdout += chunk.slice(0, maxStdout - stdout.length);
      outLines.push(chunk);
    });
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL);
      errLines.push(chunk);
    });
    if (opts.input !== undefined && child.stdin) {
      child.stdin.on("error", () => {});
      child.stdin.end(opts.input);
    }

    const kill = () => {
      child.kill("SIGTERM");
      killTimer = setTimeout(() => child.kill("SIGKILL"), 5000);
      killTimer.unref();
    };
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          kill();
        }, opts.timeoutMs)
      : undefined;
    const onAbort = () => kill();
    // An abort that happened before the call would never fire the listener: honour it at once.
    if (opts.signal?.aborted) kill();
    else opts.signal?.addEventListener("abort", onAbort, { once: true });

    child.on("error", (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
      if (err.code === "ENOENT") {
        reject(new ProcessError([file, ...args], null, null, `${file}: command not found`));
      } else {
        reject(err);
      }
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      opts.signal?.removeEventListener("abort", onAbort);
      errLines.flush();
      outLines.flush();
      resolve({ code, signal, stdout, stderrTail, timedOut });
    });
  });
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
