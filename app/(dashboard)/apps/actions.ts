"use server";

import { revalidatePath } from "next/cache";
import { backupsDirUsedBy, createApp, databaseUsedBy, getAppBySlug, getAppTarget, updateApp, type ServerFacts } from "@/lib/db/queries/apps";
import { defineAction } from "@/lib/actions/wrapper";
import { env } from "@/lib/env";
import { backupsDirChangeWarning } from "@/lib/jobs/missing-backups";
import { OpError } from "@/lib/ops/errors";
import { checkPgBouncerConsole } from "@/lib/ops/pgbouncer";
import { probeServer } from "@/lib/ops/server-info";
import { appSettingsSchema, type CheckedAppSettings, type StoredConnectionLookup } from "@/lib/validation/app-settings";

/** The stored connection of an app with this name, for appSettingsSchema's stored-password rule. */
const lookupStored: StoredConnectionLookup = async (slug) => {
  const existing = await getAppBySlug(slug);
  return existing ? getAppTarget(existing.id) : null;
};

/** Connects with the given settings and says what it found; nothing is saved when this fails. */
async function probe(input: CheckedAppSettings): Promise<{ facts: ServerFacts; summary: string }> {
  const info = await probeServer(
    { host: input.host, port: input.port, user: input.user, password: input.connectPassword, database: input.database },
    env().PG_BIN,
  );
  const facts: ServerFacts = {
    serverVersion: info.version,
    serverVersionNum: info.versionNum,
    canCreateDb: info.canCreateDb,
    pgDumpPath: info.pgDumpPath,
    dbSizeBytes: info.dbSizeBytes,
  };
  const bouncer = input.pgbouncer ? await checkPgBouncerConsole({ ...input.pgbouncer, password: input.pgbouncerConnectPassword }) : "";
  const summary =
    `Connected: PostgreSQL ${info.version}. ` +
    bouncer +
    (info.canCreateDb || info.isSuperuser
      ? "The role may create databases (clone backups and rollbacks work). "
      : `The role may NOT create databases: clone backups and database rollbacks need ALTER USER "${input.user}" CREATEDB. `) +
    `Dumps will use ${info.pgDumpPath}.` +
    (input.resolvedNotes.length ? ` Symlinks resolved, stored as the real paths: ${input.resolvedNotes.join("; ")}.` : "");
  return { facts, summary };
}

export const createAppAction = defineAction({
  name: "apps.create",
  role: "admin",
  schema: appSettingsSchema({ mode: "create", lookupStored, backupsDirUsedBy, databaseUsedBy }),
  audit: { app: (input) => input.slug },
  handler: async (input) => {
    if (await getAppBySlug(input.slug)) {
      throw new OpError("exists", `An app named ${input.slug} already exists. Choose another name or edit that app.`);
    }
    const { facts, summary } = await probe(input);
    await createApp(input, facts);
    revalidatePath("/apps");
    return { slug: input.slug, summary };
  },
});

export const updateAppAction = defineAction({
  name: "apps.update",
  role: "admin",
  schema: appSettingsSchema({ mode: "update", lookupStored, backupsDirUsedBy, databaseUsedBy }),
  audit: { app: (input) => input.slug },
  handler: async (input) => {
    const existing = await getAppBySlug(input.slug);
    if (!existing) throw new OpError("not_found", `No app named ${input.slug}.`);
    const { facts, summary } = await probe(input);
    const warning = await backupsDirChangeWarning(existing, input.backupsDir);
    await updateApp(existing.id, input, facts);
    revalidatePath(`/apps/${input.slug}`);
    revalidatePath("/apps");
    return { slug: input.slug, summary, warning };
  },
});

export const testConnectionAction = defineAction({
  name: "apps.test_connection",
  role: "admin",
  schema: appSettingsSchema({ mode: "test", lookupStored, backupsDirUsedBy, databaseUsedBy }),
  audit: { app: (input) => input.slug },
  handler: async (input) => {
    const { summary } = await probe(input);
    const existing = await getAppBySlug(input.slug);
    return { summary, warning: existing ? await backupsDirChangeWarning(existing, input.backupsDir) : undefined };
  },
});
