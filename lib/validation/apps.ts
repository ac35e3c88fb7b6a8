import path from "node:path";
import { z } from "zod";
import { wholeNumber } from "./numbers";
import { isValidDbName } from "@/lib/ops/identifiers";

// Shared by the app form, its actions, the API and the CLI. FormData values are strings: z.coerce for numbers.

const emptyAsUndefined = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
const optional = <T extends z.ZodTypeAny>(s: T) => z.preprocess(emptyAsUndefined, s.optional());

/**
 * Names an app cannot have: each would be hidden by a route (`/apps/new`) or be mistaken for one (`api`,
 * `settings`, …). test: lib/validation/apps.test.ts walks app/ and fails when a route segment is missing here.
 */
export const RESERVED_SLUGS: ReadonlySet<string> = new Set([
  "new", "edit", "settings", "releases", "backups", "jobs", "api", "audit", "users", "tokens", "login", "logout",
  "signin", "signout", "auth", "admin", "apps", "account", "static", "public", "assets", "favicon", "health", "notifications",
]);

/** The format of an app's name. Refers to apps that exist; registering one also refuses RESERVED_SLUGS. */
export const slugSchema = z
  .string()
  .trim()
  .regex(/^[a-z][a-z0-9-]{1,39}$/, "2–40 characters: lower-case letters, digits and '-', starting with a letter");

export const reservedSlugMessage = (slug: string) =>
  `"${slug}" is reserved: it is (or could become) a page of Lifeboat, so the app's pages would be hidden. Choose another name.`;

const hostSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9._:-]{0,252}$/, "a host name or IP address");
const userSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z_][A-Za-z0-9_.@-]{0,62}$/, "letters, digits, _ . @ -, at most 63 characters");
/** PostgreSQL's own databases: backing one up as an app, or swapping it in a rollback, is never meant. */
export const SYSTEM_DATABASES: ReadonlySet<string> = new Set(["postgres", "template0", "template1"]);
const dbNameSchema = z
  .string()
  .trim()
  .refine(isValidDbName, "lower-case letters, digits and _, starting with a letter or _, at most 63 bytes")
  .superRefine((d, ctx) => {
    if (SYSTEM_DATABASES.has(d)) {
      ctx.addIssue({ code: "custom", message: `${d} is a PostgreSQL system database, not an app's database: a rollback would rename or replace it. Use the app's own database.` });
    }
  });
const absPath = z
  .string()
  .trim()
  .refine((p) => path.isAbsolute(p) && !p.includes("\0"), "an absolute path, like /opt/shop")
  .transform((p) => path.resolve(p));

/** Parses a postgres:// URL into parts; query options (sslmode, host lists, …) are refused, not ignored. */
export function parsePostgresUrl(url: string):
  | { ok: true; host: string; port: number; user: string; password?: string; database: string }
  | { ok: false; message: string } {
  let u: URL;
  try {
    u = new URL(url.trim());
  } catch {
    return { ok: false, message: "not a valid URL (postgres://user:password@host:5432/database)" };
  }
  if (u.protocol !== "postgres:" && u.protocol !== "postgresql:") {
    return { ok: false, message: "must start with postgres:// or postgresql://" };
  }
  if (u.search) return { ok: false, message: "connection options after '?' are not supported; use host, port, user and database only" };
  const database = decodeURIComponent(u.pathname.replace(/^\//, ""));
  const user = decodeURIComponent(u.username);
  const host = u.hostname.replace(/^\[|\]$/g, "");
  const port = u.port ? Number(u.port) : 5432;
  if (!host || !user || !database) return { ok: false, message: "must name a user, a host and a database" };
  return { ok: true, host, port, user, password: u.password ? decodeURIComponent(u.password) : undefined, database };
}

const commandSchema = optional(
  z
    .string()
    .transform((s, ctx) => {
      try {
        const v = JSON.parse(s);
        if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "string" && x.length > 0 && !x.includes("\0"))) {
          return v as string[];
        }
      } catch {}
      ctx.addIssue({ code: "custom", message: 'a JSON array of arguments, like ["docker", "compose", "up", "-d"]' });
      return z.NEVER;
    })
    .or(z.array(z.string().min(1)).min(1)),
);

const settingsShape = {
  deployRoot: optional(absPath),
  backupsDir: optional(absPath),
  defaultMethod: z.enum(["dump", "clone"]).default("dump"),
  dumpFormat: z.enum(["custom", "plain", "directory"]).default("custom"),
  cloneStrategy: z.enum(["file_copy", "wal_log"]).default("file_copy"),
  retention: wholeNumber(1, 100).default(5),
  staleAfterHours: wholeNumber(1, 24 * 90, "hours").default(24),
  stopCommand: commandSchema,
  startCommand: commandSchema,
  commandCwd: optional(absPath),
  commandTimeoutSec: wholeNumber(1, 3600, "seconds").default(120),
  healthUrl: optional(
    z
      .string()
      .trim()
      .url("a full URL, like http://127.0.0.1:3000/health")
      .refine((u) => /^https?:/.test(u), "http or https only")
      // fetch() refuses a URL with a login in it (every probe would fail, the app shown down), and it would be
      // shown on every page that says why: a health URL carries no secret.
      .refine((u) => !URL.canParse(u) || (new URL(u).username === "" && new URL(u).password === ""), "no user:password@ in the health URL: the check sends none; use a health endpoint that needs no login"),
  ),
  healthTimeoutSec: wholeNumber(1, 600, "seconds").default(30),
  /** After a rollback/switch/restore whose health check fails: undo at once, or keep it and alert. */
  healthPolicy: z.enum(["undo", "keep"]).default("undo"),
  /** PgBouncer's admin console: postgres://user:password@host:6432/<PgBouncer's name for the database>. */
  pgbouncerUrl: optional(z.string().trim().max(2000)),
};

const connectionShape = {
  url: optional(z.string().trim()),
  host: optional(hostSchema),
  port: optional(wholeNumber(1, 65535)),
  user: optional(userSchema),
  password: optional(z.string().max(1000)),
  database: optional(dbNameSchema),
};

/** Connection fields, from a URL or from parts; the URL wins when both are given. */
function resolveConnection<T extends { url?: string; host?: string; port?: number; user?: string; password?: string; database?: string }>(
  v: T,
  ctx: z.RefinementCtx,
) {
  let host = v.host, port = v.port ?? 5432, user = v.user, password = v.password, database = v.database;
  if (v.url) {
    const parsed = parsePostgresUrl(v.url);
    if (!parsed.ok) {
      ctx.addIssue({ code: "custom", path: ["url"], message: parsed.message });
      return z.NEVER;
    }
    const checks: [string, z.ZodTypeAny, unknown][] = [
      ["host", hostSchema, parsed.host],
      ["user", userSchema, parsed.user],
      ["database", dbNameSchema, parsed.database],
    ];
    for (const [field, schema, value] of checks) {
      const r = schema.safeParse(value);
      if (!r.success) {
        ctx.addIssue({ code: "custom", path: ["url"], message: `${field} in the URL: ${r.error.issues[0]?.message}` });
        return z.NEVER;
      }
    }
    ({ host, port, user, database } = parsed);
    password = parsed.password ?? password;
  }
  for (const [field, value] of [["host", host], ["user", user], ["database", database]] as const) {
    if (!value) ctx.addIssue({ code: "custom", path: [field], message: "required (or paste a postgres:// URL)" });
  }
  if (!host || !user || !database) return z.NEVER;
  return { host, port, user, password, database };
}

/** The PgBouncer admin console URL's parts; the database is PgBouncer's name for the app's database. */
function parsePgBouncerUrl(url: string, ctx: z.RefinementCtx) {
  const parsed = parsePostgresUrl(url);
  const problem = !parsed.ok
    ? parsed.message
    : !hostSchema.safeParse(parsed.host).success
      ? "host: a host name or IP address"
      : !userSchema.safeParse(parsed.user).success
        ? "user: letters, digits, _ . @ -"
        : !isValidDbName(parsed.database)
          ? "the path names the app's database as PgBouncer knows it: lower-case letters, digits and _"
          : null;
  if (problem || !parsed.ok) {
    ctx.addIssue({ code: "custom", path: ["pgbouncerUrl"], message: problem ?? "invalid" });
    return z.NEVER;
  }
  return { host: parsed.host, port: parsed.port, user: parsed.user, password: parsed.password, database: parsed.database };
}

/** The app form, for registering and for editing (an empty password on edit keeps the stored one). */
const appForm = (slug: z.ZodType<string, string>, opts: { needsBackupsDir: boolean } = { needsBackupsDir: true }) =>
  z.object({ slug, ...connectionShape, ...settingsShape }).transform((v, ctx) => {
    const conn = resolveConnection(v, ctx);
    if (conn === z.NEVER) return z.NEVER;
    const backupsDir = v.backupsDir ?? (v.deployRoot ? path.join(v.deployRoot, "backups") : undefined) ?? (opts.needsBackupsDir ? undefined : "");
    if (backupsDir === undefined) {
      ctx.addIssue({ code: "custom", path: ["backupsDir"], message: "set a backups directory or a deploy root" });
      return z.NEVER;
    }
    const pgbouncer = v.pgbouncerUrl ? parsePgBouncerUrl(v.pgbouncerUrl, ctx) : null;
    if (pgbouncer === z.NEVER) return z.NEVER;
    const { url: _url, host: _h, port: _p, user: _u, password: _pw, database: _d, pgbouncerUrl: _b, ...settings } = v;
    return { ...settings, ...conn, backupsDir, pgbouncer };
  });
export const appFormSchema = appForm(slugSchema);
/** Registering: also refuses names that are, or could become, Lifeboat's own pages. */
export const newAppFormSchema = appForm(
  slugSchema.refine((s) => !RESERVED_SLUGS.has(s), { error: (issue) => reservedSlugMessage(String(issue.input)) }),
);
/** "Test connection" checks only the connection: no backups directory is needed to try one (issue 8 item 9). */
export const testConnectionFormSchema = appForm(slugSchema, { needsBackupsDir: false });
export type AppFormInput = z.output<typeof appFormSchema>;

export const appRefSchema = z.object({ app: slugSchema });

export interface ConnectionParts {
  host: string;
  port: number;
  user: string;
  database: string;
}

/**
 * Whether two connections go to the same place as the same role. The stored password may only be used for
 * exactly the stored connection: anything else would send it to a host it was never meant for.
 */
export function sameConnection(a: ConnectionParts, b: ConnectionParts): boolean {
  return a.host.toLowerCase() === b.host.toLowerCase() && Number(a.port) === Number(b.port) && a.user === b.user && a.database === b.database;
}

export const RETYPE_PASSWORD_MESSAGE =
  "Type the password again: the host, port, user or database changed, and the stored password is only ever sent to the connection it was saved for.";
