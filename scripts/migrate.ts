// npm run db:migrate: applies drizzle/ migrations to DATABASE_URL. A step of its own, never inside next build.
import { closeDb } from "@/lib/db/client";
import { migrateMetadata } from "@/lib/db/migrate";
import { requireEnv } from "@/lib/env";

const url = requireEnv("DATABASE_URL");
await migrateMetadata(url);
await closeDb();
console.log("metadata database is up to date");
