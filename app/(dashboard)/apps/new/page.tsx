import type { Metadata } from "next";
import { PageHeader } from "@/components/ui/page-header";
import { AppForm } from "@/components/apps/app-form";
import { requireUser } from "@/lib/auth/session";

export const dynamic = "force-dynamic";

export const metadata: Metadata = { title: "Register an app" };

export default async function NewAppPage() {
  await requireUser("admin");
  return (
    <div className="max-w-4xl space-y-4">
      <PageHeader breadcrumbs={[{ href: "/apps", label: "Apps" }]} title="Register an app" />
      <p className="text-sm text-slate-600">
        Lifeboat connects to the app&apos;s PostgreSQL database to back it up. Saving tests the connection first and tells you what it found.
      </p>
      <AppForm mode="create" />
    </div>
  );
}
