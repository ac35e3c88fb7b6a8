import { z } from "zod";

// The one place that reads process.env. Empty strings count as unset (t3 createEnv).
const emptyAsUndefined = (v: unknown) => (v === "" ? undefined : v);
const opt = <T extends z.ZodTypeAny>(schema: T) => z.preprocess(emptyAsUndefined, schema.optional());

const schema = z.object({
  DATABASE_URL: opt(z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL")),
  AUTH_SECRET: opt(z.string().min(16, "must be at least 16 characters")),
  LIFEBOAT_SECRET_KEY: opt(
    z.string().regex(/^[A-Za-z0-9+/=_-]{43,}$/, "must be 32 random bytes, base64 (openssl rand -base64 32)"),
  ),
  PG_BIN: opt(z.string()),
  LIFEBOAT_SESSION_HOURS: z.preprocess(emptyAsUndefined, z.coerce.number().min(0.1).max(12).default(12)),
  // bcrypt cost for new password hashes; tests lower it to keep hashing fast. Below 10 is refused in production.
  LIFEBOAT_BCRYPT_COST: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(4).max(15).default(12)),
  LIFEBOAT_SESSION_IDLE_MINUTES: z.preprocess(emptyAsUndefined, z.coerce.number().min(1).max(720).default(30)),
  LIFEBOAT_STALE_BACKUP_HOURS: z.preprocess(emptyAsUndefined, z.coerce.number().positive().default(24)),
  LIFEBOAT_CRASH_AT: opt(z.string()),
  // Job engine (lib/jobs/worker.ts). The lease must outlive a short metadata outage (~10 s) between renewals.
  LIFEBOAT_LEASE_MS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(500).default(20_000)),
  LIFEBOAT_LEASE_RENEW_MS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(100).default(5_000)),
  LIFEBOAT_WATCHDOG_MS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(100).default(5_000)),
  // How often the worker probes each app's health URL (lib/jobs/app-probe.ts); tests shorten it.
  LIFEBOAT_APP_PROBE_MS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(100).default(15_000)),
  LIFEBOAT_WORKER_NAME: opt(z.string().max(100)),
  // How often pg-boss checks the schedules' cron and the worker polls each schedule's queue (seconds, 1–45;
  // pg-boss fires a schedule at most once a minute whatever this is). Tests use 1.
  LIFEBOAT_CRON_CHECK_SECONDS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(45).default(30)),
  // Notifications (lib/notify): pg-boss retries a refused delivery up to LIMIT times, waiting about
  // DELAY·2^n seconds (retryBackoff); tests shorten both. TIMEOUT bounds one HTTP or SMTP attempt.
  LIFEBOAT_NOTIFY_RETRY_LIMIT: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).max(20).default(6)),
  LIFEBOAT_NOTIFY_RETRY_DELAY_S: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(3600).default(30)),
  LIFEBOAT_NOTIFY_TIMEOUT_MS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(200).max(120_000).default(10_000)),
  LIFEBOAT_WORKER_CONCURRENCY: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(32).default(4)),
  // Dump files found on disk larger than this are not adopted (lib/ops/found-dumps.ts); default 256 GiB.
  LIFEBOAT_ADOPT_MAX_BYTES: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).default(256 * 1024 ** 3)),
  /** Tests only: the first enqueue in a process also starts a worker inside it (the suites that call start*). */
  NODE_ENV: z.preprocess(emptyAsUndefined, z.enum(["development", "production", "test"]).default("development")),
});

export type Env = z.infer<typeof schema>;

let cached: { source: string; env: Env } | undefined;

/** Parsed environment. Re-parsed when process.env changes (tests point it at per-file databases). */
export function env(): Env {
  const source = JSON.stringify(
    Object.fromEntries(Object.keys(schema.shape).map((k) => [k, process.env[k]])),
  );
  if (cached?.source === source) return cached.env;
  const parsed = schema.safeParse(process.env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid environment:\n${lines.join("\n")}`);
  }
  cached = { source, env: parsed.data };
  return parsed.data;
}

/** A value that must be set for the dashboard to run; says which variable and how to set it. */
export function requireEnv<K extends "DATABASE_URL" | "AUTH_SECRET" | "LIFEBOAT_SECRET_KEY">(key: K): string {
  const value = env()[key];
  if (!value) {
    throw new Error(
      `${key} is not set. See README "Running in production". npm run demo sets it for its own processes; ` +
        `to use the CLI against a running demo: set -a; . .lifeboat/demo/cli.env; set +a`,
    );
  }
  return value;
}

/**
 * The few variables a child process needs to run at all (PATH, HOME, locale, temp dir). Child processes
 * start from these and never inherit the dashboard's own variables (DATABASE_URL, AUTH_SECRET, …).
 */
export function inheritedProcessEnv(): Record<string, string> {
  const keep = ["PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "USER"];
  const out: Record<string, string> = {};
  for (const k of keep) {
    const v = process.env[k];
    if (v !== undefined) out[k] = v;
  }
  out.PATH ??= "/usr/local/bin:/usr/bin:/bin";
  return out;
}
