import type { Metadata } from "next";
import Link from "next/link";
import { LiveRefresh } from "@/components/live/live-refresh";
import { Badge, type BadgeTone } from "@/components/ui/badge";
import { Button, buttonClasses } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { Table, TBody, Td, Th, THead, Tr } from "@/components/ui/table";
import { requireUser } from "@/lib/auth/session";
import { auditFacets, backupNamesFor, flushAuditThrottle, listAudit, type AuditResult } from "@/lib/db/queries/audit";
import { chainHead, verifyAuditChain } from "@/lib/db/queries/audit-chain";
import { formatAge, formatDateTime, formatDuration } from "@/lib/format";
import { ChainStatus, cutCell, cutMessage, FilterInput, Params } from "./parts";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Audit" };

const PAGE_SIZE = 50;
/** Up to this many rows the chain is verified on every view of the first page; beyond, on request. */
const VERIFY_ON_VIEW = 2_000;
const resultTone: Record<AuditResult, BadgeTone> = { ok: "green", invalid: "neutral", denied: "yellow", error: "red" };

type Search = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined) => (typeof v === "string" && v.trim() ? v.trim().slice(0, 200) : undefined);
const idParam = (v: string | string[] | undefined) => {
  const s = one(v);
  return s && /^[1-9][0-9]{0,15}$/.test(s) && Number.isSafeInteger(Number(s)) ? Number(s) : undefined;
};

export default async function AuditPage({ searchParams }: { searchParams: Promise<Search> }) {
  await requireUser("viewer");
  const sp = await searchParams;
  const filter = { app: one(sp.app), user: one(sp.user), action: one(sp.action) };
  const before = idParam(sp.before);
  const after = before === undefined ? idParam(sp.after) : undefined;
  // Refused anonymous calls held back by the rate limit become their "+N similar" rows before anyone reads.
  await flushAuditThrottle();
  const head = await chainHead();
  const firstPage = before === undefined && after === undefined;
  const verify = firstPage && (sp.verify === "1" || (head?.rows ?? 0) <= VERIFY_ON_VIEW);
  const [fetched, facets, chain] = await Promise.all([
    listAudit({ ...filter, hideReads: true, limit: PAGE_SIZE + 1, before, after }),
    auditFacets(),
    verify ? verifyAuditChain() : Promise.resolve(null),
  ]);
  // One row more than a page tells whether there is another page in that direction.
  const more = fetched.length > PAGE_SIZE;
  const rows = after !== undefined ? fetched.slice(more ? 1 : 0) : fetched.slice(0, PAGE_SIZE);
  const names = await backupNamesFor(rows);
  const hasOlder = after !== undefined || more;
  const hasNewer = before !== undefined || (after !== undefined && more);
  const filtered = Object.values(filter).some(Boolean);
  const query = (extra: Record<string, string | undefined>) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries({ ...filter, ...extra })) if (v) q.set(k, v);
    const s = q.toString();
    return s ? `?${s}` : "";
  };
  const now = new Date();

  return (
    <div className="space-y-5">
      {firstPage && <LiveRefresh />}
      <PageHeader
        title="Audit log"
        description="Every action anyone took, refused ones included (refusals of nobody signed in: one entry per minute and client, then a count). Newest first; entries cannot be changed or deleted, and each is chained to the previous one by its hash."
        actions={
          // A plain link: a download, not a page to prefetch.
          <a href={`/api/audit/export${query({})}`} className={buttonClasses({ variant: "secondary" })} download>
            Export CSV
          </a>
        }
      />

      {firstPage && <ChainStatus report={chain} rows={head?.rows ?? 0} verifyHref={`/audit${query({ verify: "1" })}`} />}

      <form method="get" className="flex flex-wrap items-end gap-3 rounded-lg border border-slate-200 bg-white p-3 shadow-xs" aria-label="Filter audit log">
        <FilterInput name="app" label="App" value={filter.app} options={facets.apps} placeholder="any app" />
        <FilterInput name="user" label="User" value={filter.user} options={facets.actors} placeholder="any user (email)" />
        <FilterInput name="action" label="Action" value={filter.action} options={facets.actions} placeholder="e.g. backups.start" />
        <div className="flex gap-2">
          <Button type="submit" variant="primary">
            Filter
          </Button>
          {filtered && (
            <Link href="/audit" className={buttonClasses({ variant: "ghost" })}>
              Clear
            </Link>
          )}
        </div>
      </form>

      {rows.length === 0 ? (
        <EmptyState
          title={filtered || !firstPage ? "No entries match." : "Nothing audited yet."}
          description={filtered ? "Try fewer filters, or a prefix like “backups” for every backup action." : "Every sign-in, backup, restore and setting change will appear here."}
        />
      ) : (
        <Table label="Audit log">
          <THead>
            <tr>
              <Th>Time (UTC)</Th>
              <Th>Actor</Th>
              <Th>App</Th>
              <Th>Action</Th>
              <Th>Result</Th>
              <Th align="right">Duration</Th>
              <Th>Details</Th>
            </tr>
          </THead>
          <TBody>
            {rows.map((r) => (
              <Tr key={r.id} data-testid="audit-row" data-result={r.result} data-count={r.count}>
                <Td nowrap className="tabular-nums">
                  <time dateTime={r.at.toISOString()} title={`#${r.id}, ${formatAge(r.at, now)} ago`}>
                    {formatDateTime(r.at).replace(" UTC", "")}
                  </time>
                </Td>
                <Td nowrap>{r.actorEmail ? <span title={r.actorEmail}>{cutCell(r.actorEmail)}</span> : <span className="text-slate-400">—</span>}</Td>
                <Td nowrap>
                  {r.appSlug ? (
                    <Link href={`/audit${query({ app: r.appSlug })}`} title={r.appSlug} className="text-sky-800 hover:underline">
                      {cutCell(r.appSlug)}
                    </Link>
                  ) : (
                    <span className="text-slate-400">—</span>
                  )}
                </Td>
                <Td nowrap mono>
                  {r.action}
                </Td>
                <Td nowrap>
                  <Badge tone={resultTone[r.result]}>{r.result}</Badge>
                  {r.count > 1 && (
                    <Badge tone="neutral" className="ml-1" title={`${r.count} similar calls in this entry`}>
                      ×{r.count}
                    </Badge>
                  )}
                </Td>
                <Td align="right" nowrap muted>
                  {formatDuration(r.durationMs)}
                </Td>
                <Td className="max-w-xl min-w-64">
                  {r.message && <p className="break-words text-slate-800">{cutMessage(r.message)}</p>}
                  <Params params={r.params} app={r.appSlug} names={names} />
                </Td>
              </Tr>
            ))}
          </TBody>
        </Table>
      )}

      {(hasNewer || hasOlder) && (
        <nav className="flex justify-between gap-2" aria-label="Audit log pages">
          <span className="flex gap-2">
            {hasNewer && (
              <>
                <Link href={`/audit${query({})}`} className={buttonClasses({ variant: "ghost" })}>
                  ← Newest
                </Link>
                {rows.length > 0 && (
                  <Link href={`/audit${query({ after: String(rows[0]!.id) })}`} className={buttonClasses({ variant: "secondary" })}>
                    ← Newer entries
                  </Link>
                )}
              </>
            )}
          </span>
          {hasOlder && rows.length > 0 && (
            <Link href={`/audit${query({ before: String(rows[rows.length - 1]!.id) })}`} className={buttonClasses({ variant: "secondary" })}>
              Older entries →
            </Link>
          )}
        </nav>
      )}
    </div>
  );
}
