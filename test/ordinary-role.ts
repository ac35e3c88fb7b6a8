// Helpers for tests that run Lifeboat as an ordinary role (not a superuser): LOGIN CREATEDB, owner of the
// app's database, no pg_read_all_stats, no pg_signal_backend, no BYPASSRLS. And a way to keep autovacuum
// workers busy in a database on purpose.
import type { OpContext } from "@/lib/ops/context";
import type { TargetDb } from "@/lib/ops/target";
import { adminSql, pg, uniqueName } from "./helpers";

export interface OrdinaryRole {
  role: string;
  password: string;
  /** Connection parts as this role. */
  target(database: string): TargetDb;
}

/** Creates a LOGIN CREATEDB role (password auth over TCP) and makes it the owner of each of `owns`. */
export async function createOrdinaryRole(owns: string[] = []): Promise<OrdinaryRole> {
  const role = uniqueName("ordinary");
  const password = `pw-${role}`;
  const sql = adminSql();
  try {
    await sql.unsafe(`CREATE ROLE ${role} LOGIN CREATEDB PASSWORD '${password}'`);
    for (const db of owns) {
      await sql.unsafe(`ALTER DATABASE ${db} OWNER TO ${role}`);
      const inDb = adminSql(db);
      try {
        await inDb.unsafe(`ALTER SCHEMA public OWNER TO ${role}`);
      } finally {
        await inDb.end();
      }
    }
  } finally {
    await sql.end();
  }
  const p = pg();
  return { role, password, target: (database) => ({ host: p.host, port: p.port, user: role, password, database }) };
}

/** An OpContext that records its log lines and step names. */
export function recordingContext(): { ctx: OpContext; logs: string[]; steps: string[] } {
  const logs: string[] = [];
  const steps: string[] = [];
  const ctx: OpContext = { log: (l) => logs.push(l), phase: () => {}, progress: () => {}, step: async (n) => void steps.push(n) };
  return { ctx, logs, steps };
}

/**
 * Makes autovacuum visit `table` in `db` again and again and take long each time: naptime 1 s for the
 * whole cluster (undo with relaxAutovacuum), zero thresholds and the slowest cost settings on the table,
 * dead rows to clean. CREATE/DROP/RENAME DATABASE end the worker; the launcher starts another.
 */
export async function keepAutovacuumBusy(db: string, owner: string, table = "autovac_bait"): Promise<void> {
  const root = adminSql();
  try {
    await root.unsafe(`ALTER SYSTEM SET autovacuum_naptime = 1`);
    await root.unsafe(`SELECT pg_reload_conf()`);
  } finally {
    await root.end();
  }
  const sql = adminSql(db);
  try {
    await sql.unsafe(
      `CREATE TABLE IF NOT EXISTS ${table} (id int, pad text) WITH (
         autovacuum_vacuum_threshold = 0, autovacuum_vacuum_scale_factor = 0,
         autovacuum_vacuum_insert_threshold = 1, autovacuum_vacuum_insert_scale_factor = 0,
         autovacuum_analyze_threshold = 0, autovacuum_analyze_scale_factor = 0,
         autovacuum_vacuum_cost_delay = 100, autovacuum_vacuum_cost_limit = 1)`,
    );
    await sql.unsafe(`ALTER TABLE ${table} OWNER TO ${owner}`);
    await sql.unsafe(`INSERT INTO ${table} SELECT g, repeat('x', 500) FROM generate_series(1, 4000) g`);
    await sql.unsafe(`DELETE FROM ${table} WHERE id % 2 = 0`);
  } finally {
    await sql.end();
  }
}

/** Back to the default naptime. */
export async function relaxAutovacuum(): Promise<void> {
  const root = adminSql();
  try {
    await root.unsafe(`ALTER SYSTEM RESET autovacuum_naptime`);
    await root.unsafe(`SELECT pg_reload_conf()`);
  } finally {
    await root.end();
  }
}

/** Waits (as the superuser, who sees backend_type) until an autovacuum worker is in `db`; returns its pid. */
export async function waitForAutovacuum(db: string, timeoutMs = 30_000): Promise<number> {
  const sql = adminSql();
  try {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      const rows = await sql<{ pid: number }[]>`SELECT pid FROM pg_stat_activity WHERE datname = ${db} AND backend_type = 'autovacuum worker'`;
      if (rows[0]) return rows[0].pid;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`no autovacuum worker appeared in ${db} within ${timeoutMs} ms`);
  } finally {
    await sql.end();
  }
}
