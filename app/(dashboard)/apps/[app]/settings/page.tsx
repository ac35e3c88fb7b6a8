import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { appCrumbs, PageHeader } from "@/components/ui/page-header";
import { AppForm } from "@/components/apps/app-form";
import { DrillSettingsForm } from "@/components/apps/drill-settings-form";
import { requireUser } from "@/lib/auth/session";
import { getAppBySlug } from "@/lib/db/queries/apps";
import { listSchedules } from "@/lib/db/queries/schedules";
import { SchedulesSection } from "@/components/schedules/schedules-section";

export const dynamic = "force-dynamic";

export async function generateMetadata({ params }: { params: Promise<{ app: string }> }): Promise<Metadata> {
  return { title: `Settings · ${(await params).app}` };
}

export default async function AppSettingsPage({ params }: { params: Promise<{ app: string }> }) {
  await requireUser("admin");
  const { app: slug } = await params;
  const app = await getAppBySlug(slug);
  if (!app) notFound();
  const schedules = await listSchedules(app.id);
  return (
    <div className="max-w-4xl space-y-4">
      <PageHeader
        breadcrumbs={appCrumbs(app.slug)}
        title="Settings"
      />
      <p className="text-sm text-slate-600">
        Directories are stored as their real paths (symlinks resolved), so what you see here is what Lifeboat writes to. Changing the host, port,
        user or database needs the password typed again.
      </p>
      <AppForm
        mode="edit"
        values={{
          slug: app.slug,
          host: app.dbHost,
          port: app.dbPort,
          user: app.dbUser,
          database: app.dbName,
          deployRoot: app.deployRoot ?? "",
          backupsDir: app.backupsDir,
          defaultMethod: app.defaultMethod,
          dumpFormat: app.dumpFormat,
          cloneStrategy: app.cloneStrategy,
          retention: app.retention,
          staleAfterHours: app.staleAfterHours,
          stopCommand: app.stopCommand ? JSON.stringify(app.stopCommand) : "",
          startCommand: app.startCommand ? JSON.stringify(app.startCommand) : "",
          healthUrl: app.healthUrl ?? "",
          commandCwd: app.commandCwd ?? "",
          commandTimeoutSec: app.commandTimeoutSec,
          healthTimeoutSec: app.healthTimeoutSec,
          healthPolicy: app.healthPolicy,
          pgbouncerUrl: app.pgbouncerHost ? `postgres://${app.pgbouncerUser}@${app.pgbouncerHost}:${app.pgbouncerPort}/${app.pgbouncerDb ?? app.dbName}` : "",
        }}
      />
      <SchedulesSection
        app={app.slug}
        defaultMethod={app.defaultMethod}
        schedules={schedules}
        retention={app.scheduledRetention}
        staleAfterHours={app.staleAfterHours}
        overdueSince={app.overdueSince}
      />
      <DrillSettingsForm app={app.slug} smokeQuery={app.smokeQuery} drillAfterBackup={app.drillAfterBackup} />
    </div>
  );
}
