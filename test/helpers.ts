// Helpers for integration tests (*.int.test.ts): the throwaway cluster started by test/global-setup.ts,
// scratch databases, a per-file metadata database and temp dirs. Real PostgreSQL, real files.
import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import postgres from "postgres";
import { inject } from "vitest";

export function pg() {
  return inject("pg");
}

export function urlFor(database: string): string {
  const p = pg();
  return `postgres://${p.user}:${encodeURIComponent(p.password)}@${p.host}:${p.port}/${database}`;
}

/** A postgres.js client on the maintenance database. Close it with .end(). */
export function adminSql(database = "postgres") {
  return postgres(urlFor(database), { onnotice: () => {}, max: 4 });
}

/** Rows of one query (test-written SQL only) on the database of `url`, e.g. the file's metadata database from useMetaDb(). */
export async function queryRows<T>(url: string, query: string): Promise<T[]> {
  const sql = adminSql(new URL(url).pathname.slice(1));
  try {
    return (await sql.unsafe(query)) as unknown as T[];
  } finally {
    await sql.end();
  }
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${crypto.randomBytes(4).toString("hex")}`;
}

/** Whether a database of this name exists on the test cluster. */
export async function dbExists(name: string): Promise<boolean> {
  const sql = adminSql();
  try {
    return (await sql`SELECT 1 FROM pg_database WHERE datname = ${name}`).length > 0;
  } finally {
    await sql.end();
  }
}

/** Creates an empty database with a unique name and returns the name. */
export async function createScratchDb(prefix = "t"): Promise<string> {
  const name = uniqueName(prefix);
  const sql = adminSql();
  try {
    await sql`CREATE DATABASE ${sql(name)}`;
  } finally {
    await sql.end();
  }
  return name;
}

/**
 * A fresh metadata database for this test file, copied from the migrated template, with the env the
 * dashboard code reads pointed at it. Call in beforeAll, before importing code that reads env().
 */
export async function useMetaDb(): Promise<string> {
  const name = await (async () => {
    const n = uniqueName("meta");
    const sql = adminSql();
    try {
      await sql`CREATE DATABASE ${sql(n)} TEMPLATE ${sql(pg().metaTemplate)}`;
    } finally {
      await sql.end();
    }
    return n;
  })();
  const url = urlFor(name);
  process.env.DATABASE_URL = url;
  process.env.AUTH_SECRET ??= crypto.randomBytes(32).toString("base64");
  process.env.LIFEBOAT_SECRET_KEY ??= crypto.randomBytes(32).toString("base64");
  return url;
}

/** A temp dir under the run's root, traversable by the postgres user. */
export async function tmpDir(prefix = "dir"): Promise<string> {
  const dir = await fs.mkdtemp(path.join(pg().tmpRoot, `${prefix}-`));
  await fs.chmod(dir, 0o755);
  return dir;
}

/** Target connection parts for lib/ops, as the cluster's superuser. */
export function target(database: string) {
  const p = pg();
  return { host: p.host, port: p.port, user: p.user, password: p.password, database };
}
