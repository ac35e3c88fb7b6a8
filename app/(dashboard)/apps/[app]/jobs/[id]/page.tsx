import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { JobDetail } from "@/components/jobs/job-detail";
import { appCrumbs, PageHeader } from "@/components/ui/page-header";
import { requireUser } from "@/lib/auth/session";
import { getAppBySlug } from "@/lib/db/queries/apps";
import { getJob } from "@/lib/db/queries/jobs";
import { formatDateTime } from "@/lib/format";
import { parseChangeRecord } from "@/lib/ops/change-record";

export const dynamic = "force-dynamic";

type Props = { params: Promise<{ app: string; id: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { app, id } = await params;
  return { title: `Job #${id} · ${app}` };
}

export default async function JobPage({ params }: Props) {
  await requireUser("viewer");
  const { app: slug, id } = await params;
  const jobId = /^\d{1,9}$/.test(id) ? Number(id) : NaN;
  const app = await getAppBySlug(slug);
  const job = app && Number.isSafeInteger(jobId) ? await getJob(jobId, app.id) : undefined;
  if (!app || !job) notFound();
  const change = parseChangeRecord(job.result);
  return (
    <div className="space-y-5">
      <PageHeader
        breadcrumbs={appCrumbs(app.slug)}
        title={`Job #${job.id}: ${job.type.replace("_", " ")}`}
        description={`Started by ${job.actor} at ${formatDateTime(job.startedAt)}${job.owner ? ` · ran on ${job.owner}` : ""}`}
      />
      <JobDetail app={app.slug} jobId={job.id} undoCommand={change?.undo.available ? `npm run lifeboat -- undo ${app.slug} --job ${job.id}` : undefined} />
    </div>
  );
}
