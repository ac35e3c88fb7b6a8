import path from "node:path";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import { getDb } from "./client";

/** Applies drizzle/ migrations. Run as a step (npm run db:migrate, the demo, tests), never inside next build. */
export async function migrateMetadata(url?: string): Promise<void> {
  const db = getDb(url);
  await migrate(db, { migrationsFolder: path.join(process.cwd(), "drizzle") });
}
