// Starts one throwaway PostgreSQL cluster for the whole run and a migrated metadata template database
// that each test file copies (CREATE DATABASE … TEMPLATE is far faster than migrating again).
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import postgres from "postgres";
import { migrateMetadata } from "@/lib/db/migrate";
import { closeDb } from "@/lib/db/client";
import { startCluster, type ClusterInfo } from "@/scripts/lib/pg-cluster";

export const META_TEMPLATE = "lifeboat_meta_template";

declare module "vitest" {
  export interface ProvidedContext {
    pg: ClusterInfo & { url: string; metaTemplate: string; tmpRoot: string };
  }
}

export default async function setup(project: TestProject) {
  const tmpRoot = await fs.mkdtemp(path.join(os.tmpdir(), "lifeboat-test-"));
  await fs.chmod(tmpRoot, 0o755);
  const cluster = await startCluster({ baseDir: path.join(tmpRoot, "pg"), fsyncOff: true });
  const url = cluster.url();
  const sql = postgres(url, { onnotice: () => {} });
  await sql`CREATE DATABASE ${sql(META_TEMPLATE)}`;
  await sql.end();
  const metaUrl = cluster.url(META_TEMPLATE);
  await migrateMetadata(metaUrl);
  await closeDb(metaUrl);
  project.provide("pg", { ...cluster.info, url, metaTemplate: META_TEMPLATE, tmpRoot });
  return async () => {
    await cluster.stop();
    await fs.rm(tmpRoot, { recursive: true, force: true });
  };
}
