import path from "node:path";
import postgres from "postgres";
import type { OpContext } from "./context";
import { OpError } from "./errors";
import { ProcessError, run } from "./exec";
import { assertDbName } from "./identifiers";
import type { TargetDb } from "./target";

// Stopping and starting the app around a rollback. Commands are argument arrays run without a shell, e.g.
//   docker compose (seed 000):  ["docker", "compose", "stop"] / ["docker", "compose", "up", "-d"]   (cwd: current)
//   pm2 (seed 002):             ["pm2", "stop", "shop"] / ["pm2", "start", "shop"]
//   systemd:                    ["sudo", "-n", "systemctl", "stop", "shop"] / ["sudo", "-n", "systemctl", "start", "shop"]
// Start commands should be idempotent (starting a running app succeeds): recovery may run one again.

export interface AppControl {
  stopCommand: string[] | null;
  startCommand: string[] | null;
  commandCwd: string | null;
  commandEnv: Record<string, string> | null;
  commandTimeoutSec: number;
  deployRoot: string | null;
}

export interface AppCommandOptions {
  cwd?: string;
  env?: Record<string, string>;
  timeoutMs: number;
  ctx: OpContext;
}

/** Runs one of the app's commands; its output goes to the job log. Fails with an operator message. */
export async function runAppCommand(argv: string[], opts: AppCommandOptions): Promise<void> {
  if (!Array.isArray(argv) || argv.length === 0 || argv.some((a) => typeof a !== "string" || a.length === 0 || a.includes("\0"))) {
    throw new OpError("invalid_command", "The command must be a non-empty list of arguments, like [\"docker\", \"compose\", \"up\", \"-d\"].");
  }
  const shown = argv.join(" ");
  opts.ctx.log(`$ ${shown}${opts.cwd ? `   (in ${opts.cwd})` : ""}`);
  try {
    await run(argv[0]!, argv.slice(1), {
      cwd: opts.cwd,
      env: opts.env,
      timeoutMs: opts.timeoutMs,
      signal: opts.ctx.signal,
      onStdoutLine: (l) => opts.ctx.log(`  ${l}`),
      onStderrLine: (l) => opts.ctx.log(`  ${l}`),
      maxStdout: 64 * 1024,
    });
  } catch (e) {
    if (e instanceof ProcessError) {
      const how = e.timedOut
        ? `did not finish within ${Math.round(opts.timeoutMs / 1000)} s and was stopped`
        : e.code === null && !e.signal
          ? `could not be run (${lastLine(e.stderrTail)})`
          : e.signal
            ? `was killed by ${e.signal}`
            : `exited with code ${e.code}`;
      throw new OpError(e.timedOut ? "command_timeout" : "command_failed", `"${shown}" ${how}${e.stderrTail && e.code !== null ? `: ${lastLine(e.stderrTail)}` : ""}.`, {
        argv: e.argv,
        exitCode: e.code,
        stderrTail: e.stderrTail,
      });
    }
    if ((e as NodeJS.ErrnoException).code === "ENOENT" && opts.cwd) {
      throw new OpError("command_failed", `"${shown}" could not be run: its working directory ${opts.cwd} does not exist.`);
    }
    throw e;
  }
}

/** The working directory for the app's commands: the configured one, else `current` (whichever release it points at now). */
export function commandDir(app: AppControl): string | undefined {
  if (app.commandCwd) return app.commandCwd;
  return app.deployRoot ? path.join(app.deployRoot, "current") : undefined;
}

/** Runs the stop command; resolves false (and says so) when none is configured. */
export async function stopApp(app: AppControl, ctx: OpContext): Promise<boolean> {
  if (!app.stopCommand?.length) {
    ctx.log("no stop command configured: the app keeps running (its database sessions are ended at the swap)");
    return false;
  }
  await runAppCommand(app.stopCommand, commandOptions(app, ctx));
  return true;
}

/** Runs the start command; resolves false (and says so) when none is configured. */
export async function startApp(app: AppControl, ctx: OpContext): Promise<boolean> {
  if (!app.startCommand?.length) {
    ctx.log("no start command configured: start the app yourself");
    return false;
  }
  await runAppCommand(app.startCommand, commandOptions(app, ctx));
  return true;
}

function commandOptions(app: AppControl, ctx: OpContext): AppCommandOptions {
  return { cwd: commandDir(app), env: app.commandEnv ?? undefined, timeoutMs: app.commandTimeoutSec * 1000, ctx };
}

export interface HealthResult {
  ok: boolean;
  /** The last HTTP status seen, if any answer came. */
  status?: number;
  error?: string;
  attempts: number;
  ms: number;
}

/**
 * Polls `url` about every 500 ms until it answers 2xx or `timeoutMs` has passed. Redirects are not
 * followed: a redirect to a login page is not a healthy app.
 */
export async function checkHealth(url: string, timeoutMs: number, opts: { intervalMs?: number; signal?: AbortSignal } = {}): Promise<HealthResult> {
  const u = new URL(url);
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new OpError("invalid_url", `The health URL must be http or https (got ${u.protocol}).`);
  const interval = opts.intervalMs ?? 500;
  const started = Date.now();
  const deadline = started + timeoutMs;
  let attempts = 0;
  let status: number | undefined;
  let error: string | undefined;
  for (;;) {
    attempts++;
    const left = deadline - Date.now();
    try {
      const res = await fetch(u, { redirect: "manual", signal: AbortSignal.timeout(Math.max(100, Math.min(left, 5000))), cache: "no-store" });
      status = res.status;
      await res.body?.cancel().catch(() => {});
      if (res.status >= 200 && res.status < 300) return { ok: true, status, attempts, ms: Date.now() - started };
      error = `answered ${res.status}`;
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause;
      error = cause?.code ? cause.code : e instanceof Error ? e.message : String(e);
    }
    if (opts.signal?.aborted || Date.now() + interval > deadline) return { ok: false, status, error, attempts, ms: Date.now() - started };
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** Can a new session connect to the app's database and run a query? */
export async function checkDbReachable(target: TargetDb, timeoutMs = 10_000): Promise<{ ok: boolean; error?: string; ms: number }> {
  assertDbName(target.database);
  const started = Date.now();
  const sql = postgres({
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    database: target.database,
    max: 1,
    connect_timeout: Math.max(1, Math.ceil(timeoutMs / 1000)),
    onnotice: () => {},
    connection: { application_name: "lifeboat-health" },
  });
  try {
    await sql`SELECT 1`;
    return { ok: true, ms: Date.now() - started };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e), ms: Date.now() - started };
  } finally {
    await sql.end({ timeout: 2 }).catch(() => {});
  }
}

function lastLine(text: string): string {
  const lines = text.trim().split("\n");
  return (lines[lines.length - 1] ?? "").trim();
}
