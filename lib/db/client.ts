import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { requireEnv } from "@/lib/env";
import { schema } from "./schemas";

export type Db = PostgresJsDatabase<typeof schema> & { $client: postgres.Sql };

type Cache = Map<string, Db>;
const g = globalThis as unknown as { __lifeboatDb?: Cache };

/** One client per metadata URL, cached on globalThis so dev reloads do not leak pools (t3). */
export function getDb(url = requireEnv("DATABASE_URL")): Db {
  g.__lifeboatDb ??= new Map();
  let db = g.__lifeboatDb.get(url);
  if (!db) {
    const client = postgres(url, { max: 10, onnotice: () => {}, connection: { application_name: "lifeboat" } });
    db = drizzle(client, { schema, casing: "snake_case" }) as Db;
    g.__lifeboatDb.set(url, db);
  }
  return db;
}

export async function closeDb(url?: string): Promise<void> {
  const cache = g.__lifeboatDb;
  if (!cache) return;
  for (const [key, db] of cache) {
    if (url && key !== url) continue;
    await db.$client.end({ timeout: 5 });
    cache.delete(key);
  }
}
