import fs from "node:fs/promises";
import path from "node:path";
import { inheritedProcessEnv } from "@/lib/env";
import { runUnchecked } from "./exec";
import { OpError } from "./errors";

export type PgTool = "pg_dump" | "pg_restore" | "psql" | "initdb" | "pg_ctl" | "postgres";

export interface PgBinDir {
  dir: string;
  major: number;
}

const DEBIAN_ROOT = "/usr/lib/postgresql";
export const APT_HINT = "apt-get install -y postgresql postgresql-client";

/**
 * Where PostgreSQL programs live, newest major first: an explicit PG_BIN, else every
 * /usr/lib/postgresql/<major>/bin (Debian installs majors side by side), else whatever is on PATH.
 */
export async function listPgBinDirs(explicit?: string): Promise<PgBinDir[]> {
  if (explicit) {
    const major = await toolMajor(path.join(explicit, "pg_dump")) ?? await toolMajor(path.join(explicit, "postgres"));
    if (major === undefined) {
      throw new OpError("pg_missing", `PG_BIN=${explicit} holds no PostgreSQL programs (no pg_dump or postgres there).`);
    }
    return [{ dir: explicit, major }];
  }
  const found: PgBinDir[] = [];
  const majors = await fs.readdir(DEBIAN_ROOT).catch(() => [] as string[]);
  for (const name of majors) {
    if (!/^\d+$/.test(name)) continue;
    const dir = path.join(DEBIAN_ROOT, name, "bin");
    if (await exists(path.join(dir, "pg_dump")) || await exists(path.join(dir, "postgres"))) {
      found.push({ dir, major: Number(name) });
    }
  }
  if (found.length === 0) {
    for (const dir of inheritedProcessEnv().PATH!.split(":").filter(Boolean)) {
      const major = await toolMajor(path.join(dir, "pg_dump"));
      if (major !== undefined) {
        found.push({ dir, major });
        break;
      }
    }
  }
  return found.sort((a, b) => b.major - a.major);
}

/** A server-side tool (initdb, pg_ctl, postgres) from the newest installed major. */
export async function serverTool(tool: "initdb" | "pg_ctl" | "postgres", explicit?: string): Promise<string> {
  for (const d of await listPgBinDirs(explicit)) {
    const p = path.join(d.dir, tool);
    if (await exists(p)) return p;
  }
  throw new OpError("pg_missing", `PostgreSQL server programs (${tool}) are not installed. Run: ${APT_HINT}`);
}

/**
 * A client tool able to talk to a server of `serverMajor`: pg_dump refuses newer servers, so the
 * same major is preferred, else the oldest newer one. Says clearly when none is new enough.
 */
export async function clientToolFor(tool: "pg_dump" | "pg_restore" | "psql", serverMajor: number, explicit?: string): Promise<string> {
  const dirs = await listPgBinDirs(explicit);
  const usable: PgBinDir[] = [];
  for (const d of dirs) if (await exists(path.join(d.dir, tool))) usable.push(d);
  if (usable.length === 0) throw new OpError("pg_missing", `${tool} is not installed. Run: ${APT_HINT}`);
  const exact = usable.find((d) => d.major === serverMajor);
  const newer = usable.filter((d) => d.major > serverMajor).sort((a, b) => a.major - b.major)[0];
  const pick = exact ?? newer;
  if (!pick) {
    const have = usable.map((d) => d.major).join(", ");
    throw new OpError(
      "pg_dump_too_old",
      `The server runs PostgreSQL ${serverMajor}, but the newest ${tool} here is from PostgreSQL ${have}; ` +
        `${tool} cannot work with a newer server. Install postgresql-client-${serverMajor} ` +
        `(from apt.postgresql.org) or set PG_BIN to its bin directory.`,
    );
  }
  return path.join(pick.dir, tool);
}

async function toolMajor(file: string): Promise<number | undefined> {
  if (!(await exists(file))) return undefined;
  const r = await runUnchecked(file, ["--version"]).catch(() => undefined);
  const m = r?.stdout.match(/\(PostgreSQL\)\s+(\d+)/);
  return m ? Number(m[1]) : undefined;
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}
