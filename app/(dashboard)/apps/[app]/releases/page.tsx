import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { RollbackDialog } from "@/components/rollback/rollback-dialog";
import { capabilities, whyNot } from "@/lib/auth/capabilities";
import { hasRole } from "@/lib/auth/roles";
import { requireUser } from "@/lib/auth/session";
import { getAppBySlug } from "@/lib/db/queries/apps";
import { listRestorableBackups } from "@/lib/db/queries/backup-pages";
import { pickerBackups } from "@/components/rollback/picker-backups";
import { formatAge, formatDateTime } from "@/lib/format";
import { OpError } from "@/lib/ops/errors";
import { listReleases, readCurrentLink, type CurrentLink } from "@/lib/ops/releases";
import { defaultRollbackTarget } from "@/lib/ops/rollback-plan";
import { RepairCurrent } from "@/components/releases/repair-current";
import { MarkReleasesComplete } from "@/components/releases/mark-complete";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Table, TBody, Td, Th, THead, Tr } from "@/components/ui/table";
import { RelativeTime } from "@/components/ui/relative-time";
import { LiveRefresh } from "@/components/live/live-refresh";
import { avoidedBy } from "@/lib/ops/release-verdicts";
import { listReleaseEvents, releaseVerdicts } from "@/lib/db/queries/release-events";
import { MarkBadButton } from "@/components/releases/mark-bad-button";
import { ReleaseHistory, ReleaseVerdictBadges } from "@/components/releases/release-history";

export const dynamic = "force-dynamic";

export async function generateMetadata({ params }: { params: Promise<{ app: string }> }): Promise<Metadata> {
  return { title: `Releases · ${(await params).app}` };
}

export default async function ReleasesPage({ params }: { params: Promise<{ app: string }> }) {
  const user = await requireUser("viewer");
  const { app: slug } = await params;
  const app = await getAppBySlug(slug);
  if (!app) notFound();
  const canAdmin = hasRole(user.role, "admin");
  // What the role cannot do is shown disabled with the reason, not hidden (lib/auth/capabilities.ts).
  const caps = capabilities(user.role, app);
  if (!app.deployRoot) {
    return (
      <div className="space-y-3">
        <h1 className="text-2xl font-semibold text-slate-900">{app.slug} · releases</h1>
        <p className="text-sm text-slate-600">This app has no deploy root. Set one in Settings to manage releases.</p>
      </div>
    );
  }
  const [releasesOrError, backups, link] = await Promise.all([
    listReleases(app.deployRoot).catch((e: unknown) => (e instanceof OpError ? e : Promise.reject(e))),
    listRestorableBackups(app.id),
    readCurrentLink(app.deployRoot),
  ]);
  if (releasesOrError instanceof OpError) {
    return (
      <div className="space-y-3">
        <h1 className="text-2xl font-semibold text-slate-900">{app.slug} · releases</h1>
        <p role="status" className="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900">
          {releasesOrError.message}
        </p>
      </div>
    );
  }
  const releases = releasesOrError;
  const okBackups = backups.filter((b) => b.status === "ok");
  const current = releases.find((r) => r.isCurrent);
  const [verdicts, history] = await Promise.all([releaseVerdicts(app.id), listReleaseEvents(app.id, 500)]);
  const canOperate = hasRole(user.role, "operator");
  const previous = defaultRollbackTarget(releases, current?.name ?? null, avoidedBy(verdicts));
  const usable = releases.filter((r) => r.invalid === null);
  const dialogReleases = usable.map((r) => ({ name: r.name, complete: r.complete, isCurrent: r.isCurrent }));
  const dialogBackups = pickerBackups(backups);

  return (
    <div className="space-y-5">
      <LiveRefresh app={app.slug} />
      <header className="flex flex-wrap items-end justify-between gap-4">
        <div>
          <p className="text-sm text-slate-500">
            <Link href="/apps" className="hover:underline">Apps</Link> / <Link href={`/apps/${app.slug}`} className="hover:underline">{app.slug}</Link> /
          </p>
          <h1 className="text-2xl font-semibold text-slate-900">Releases</h1>
          <p className="font-mono text-xs text-slate-500" data-testid="current-link">
            {app.deployRoot}/releases · current → {describeCurrent(link)}
          </p>
        </div>
        {previous && (
          <RollbackDialog
            app={app.slug}
            mode="rollback"
            label="Roll back…"
            disabledReason={whyNot(caps.rollback)}
            releases={dialogReleases}
            backups={caps.rollbackWithDatabase.ok ? dialogBackups : []}
            defaultRelease={previous}
          />
        )}
      </header>
      {link.state === "outside" && (
        <Alert tone="warn" title="current points at an unknown target" data-testid="unknown-current">
          <p>
            <code className="font-mono">{app.deployRoot}/current</code> → <code className="font-mono">{link.target}</code>, which is not a release in releases/.
            Lifeboat does not know what runs, so it offers no rollback until current points at a release again.
          </p>
          {canAdmin ? (
            <div className="mt-2">
              <RepairCurrent app={app.slug} releases={usable.filter((r) => r.complete).map((r) => r.name)} />
            </div>
          ) : (
            <p>An admin can point it at a release here.</p>
          )}
        </Alert>
      )}
      <MarkReleasesComplete app={app.slug} canOperate={canOperate} unmarked={releases.filter((r) => !r.complete && r.invalid === null).map((r) => r.name)} />
      {link.state === "not_symlink" && (
        <Alert tone="warn" title="current is not a symlink">
          {app.deployRoot}/current is a real directory or file. Lifeboat only switches a current symlink: move it into releases/ and link it.
        </Alert>
      )}
      <Table label="Releases">
          <THead>
            <tr>
              <Th>Release</Th>
              <Th>Deployed</Th>
              <Th>Backups linked</Th>
              <Th />
            </tr>
          </THead>
          <TBody>
            {releases.map((r) => {
              const linked = okBackups.filter((b) => b.forRelease === r.name || b.release === r.name);
              return (
                <Tr key={r.name} data-testid="release-row" data-release={r.name} data-current={r.isCurrent ? "true" : "false"} data-valid={r.invalid === null ? "true" : "false"}>
                  <Td>
                    <span className="font-mono text-slate-900">{r.name}</span>
                    {r.isCurrent && <span className="ml-2 rounded-full bg-emerald-600 px-2 py-0.5 text-xs font-semibold text-white">current</span>}
                    <ReleaseVerdictBadges verdict={verdicts.get(r.name)} />
                    <ReleaseHistory events={history.filter((e) => e.release === r.name).slice(0, 3)} />
                    {r.invalid !== null ? (
                      <span className="ml-2" data-testid="release-invalid">
                        <Badge tone="red" title={`Invalid name: ${r.invalid}.`}>invalid name — never a rollback target</Badge>
                      </span>
                    ) : (
                      !r.complete && <span className="ml-2 rounded-full bg-amber-100 px-2 py-0.5 text-xs font-medium text-amber-900">incomplete — cannot become current</span>
                    )}
                  </Td>
                  <Td className="text-slate-700" title={formatDateTime(r.mtime)}>
                    <RelativeTime at={r.mtime} />
                  </Td>
                  <Td className="text-xs text-slate-600">
                    {linked.length === 0
                      ? "—"
                      : linked.slice(0, 3).map((b) => (
                          <div key={b.id} className="font-mono">
                            {b.name} <span className="text-slate-400">({b.forRelease === r.name ? "taken before deploying it" : "taken while current"})</span>
                          </div>
                        ))}
                  </Td>
                  <Td align="right">
                    {canOperate && r.invalid === null && <MarkBadButton app={app.slug} release={r.name} bad={!!verdicts.get(r.name)?.markedBad} />}
                    {!r.isCurrent && r.complete && r.invalid === null && link.state !== "outside" && (
                      <RollbackDialog app={app.slug} mode="switch_release" label="Switch to this release" tone="neutral" release={r.name} disabledReason={whyNot(caps.switchRelease)} />
                    )}
                  </Td>
                </Tr>
              );
            })}
          </TBody>
        </Table>
    </div>
  );
}

function describeCurrent(link: CurrentLink): string {
  switch (link.state) {
    case "release":
      return link.name;
    case "outside":
      return `unknown target (${link.target})`;
    case "not_symlink":
      return "not a symlink";
    case "none":
      return "none";
  }
}
