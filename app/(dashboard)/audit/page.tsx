import type { Metadata } from "next";
import Link from "next/link";
import { Badge, type BadgeTone } from "@/components/ui/badge";
import { Button, buttonClasses } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { Input, Label } from "@/components/ui/field";
import { PageHeader } from "@/components/ui/page-header";
import { Table, TBody, Td, Th, THead, Tr } from "@/components/ui/table";
import { scrubParams } from "@/lib/actions/params";
import { requireUser } from "@/lib/auth/session";
import { auditFacets, listAudit, type AuditResult } from "@/lib/db/queries/audit";
import { formatAge, formatDateTime, formatDuration } from "@/lib/format";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Audit" };

const PAGE_SIZE = 100;
const resultTone: Record<AuditResult, BadgeTone> = { ok: "green", invalid: "neutral", denied: "yellow", error: "red" };

type Search = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined) => (typeof v === "string" && v.trim() ? v.trim().slice(0, 200) : undefined);

export default async function AuditPage({ searchParams }: { searchParams: Promise<Search> }) {
  await requireUser("viewer");
  const sp = await searchParams;
  const filter = { app: one(sp.app), user: one(sp.user), action: one(sp.action) };
  const beforeRaw = Number(one(sp.before));
  const before = Number.isSafeInteger(beforeRaw) && beforeRaw > 0 ? beforeRaw : undefined;
  const [rows, facets] = await Promise.all([listAudit({ ...filter, limit: PAGE_SIZE, before }), auditFacets()]);
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
      <PageHeader
        title="Audit log"
        description="Every action anyone took, refused ones included. Newest first; entries cannot be changed or deleted."
        actions={
          // A plain link: a download, not a page to prefetch.
          <a href={`/api/audit/export${query({})}`} className={buttonClasses({ variant: "secondary" })} download>
            Export CSV
          </a>
        }
      />

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
          title={filtered || before ? "No entries match." : "Nothing audited yet."}
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
              <Tr key={r.id} data-testid="audit-row" data-result={r.result}>
                <Td nowrap className="tabular-nums">
                  <time dateTime={r.at.toISOString()} title={`${formatAge(r.at, now)} ago`}>
                    {formatDateTime(r.at).replace(" UTC", "")}
                  </time>
                </Td>
                <Td nowrap>{r.actorEmail ?? <span className="text-slate-400">—</span>}</Td>
                <Td nowrap>
                  {r.appSlug ? (
                    <Link href={`/audit${query({ app: r.appSlug, before: undefined })}`} className="text-sky-800 hover:underline">
                      {r.appSlug}
                    </Link>
                  ) : (
                    <span className="text-slate-400">—</span>
                  )}
                </Td>
                <Td nowrap mono>
                  {r.action}
                </Td>
                <Td>
                  <Badge tone={resultTone[r.result]}>{r.result}</Badge>
                </Td>
                <Td align="right" nowrap muted>
                  {formatDuration(r.durationMs)}
                </Td>
                <Td className="max-w-xl min-w-64">
                  {r.message && <p className="text-slate-800">{r.message}</p>}
                  <Params params={r.params} />
                </Td>
              </Tr>
            ))}
          </TBody>
        </Table>
      )}

      {rows.length === PAGE_SIZE && (
        <div className="flex justify-end">
          <Link href={`/audit${query({ before: String(rows[rows.length - 1]!.id) })}`} className={buttonClasses({ variant: "secondary" })}>
            Older entries →
          </Link>
        </div>
      )}
    </div>
  );
}

function FilterInput({ name, label, value, options, placeholder }: { name: string; label: string; value?: string; options: string[]; placeholder: string }) {
  const id = `audit-${name}`;
  return (
    <div className="w-56">
      <Label htmlFor={id} className="mb-1">
        {label}
      </Label>
      <Input id={id} name={name} defaultValue={value} placeholder={placeholder} list={`${id}-options`} autoComplete="off" />
      <datalist id={`${id}-options`}>
        {options.map((o) => (
          <option key={o} value={o} />
        ))}
      </datalist>
    </div>
  );
}

/** Params as key=value pairs; scrubbed again on display in case an older entry predates a scrub rule. */
function Params({ params }: { params: Record<string, unknown> }) {
  const entries = Object.entries(scrubParams(params)).filter(([, v]) => v !== "" && v !== null && v !== undefined);
  if (entries.length === 0) return null;
  return (
    <p className="mt-0.5 font-mono text-xs break-all text-slate-500">
      {entries.map(([k, v], i) => (
        <span key={k}>
          {i > 0 && " "}
          <span className="text-slate-600">{k}</span>=<span className="text-slate-800">{typeof v === "string" ? v : JSON.stringify(v)}</span>
        </span>
      ))}
    </p>
  );
}
