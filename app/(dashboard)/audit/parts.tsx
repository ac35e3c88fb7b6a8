// Pieces of the audit page (server components): filter inputs, the params cell and the chain status.
import Link from "next/link";
import { Alert } from "@/components/ui/alert";
import { buttonClasses } from "@/components/ui/button";
import { Input, Label } from "@/components/ui/field";
import { scrubParams } from "@/lib/actions/params";
import { describeChain, type ChainReport } from "@/lib/db/queries/audit-chain";

export function FilterInput({ name, label, value, options, placeholder }: { name: string; label: string; value?: string; options: string[]; placeholder: string }) {
  const id = `audit-${name}`;
  return (
    <div className="w-56">
      <Label htmlFor={id} className="mb-1">
        {label}
      </Label>
      <Input id={id} name={name} defaultValue={value} placeholder={placeholder} list={`${id}-options`} autoComplete="off" maxLength={200} />
      <datalist id={`${id}-options`}>
        {options.map((o) => (
          <option key={o} value={o} />
        ))}
      </datalist>
    </div>
  );
}

const MAX_VALUE = 200;
const MAX_PARAMS = 12;
const cut = (s: string, max: number) => (s.length > max ? `${s.slice(0, max)}…` : s);

/** How a few well-known keys read in the detail view. */
const LABELS: Record<string, string> = {
  backupId: "backup",
  jobId: "job",
  targetRelease: "to release",
  release: "release",
  from: "from release",
  restoreDatabase: "restore database",
  undoOf: "undoes job",
  putBack: "puts back",
  method: "method",
};
/** Shown elsewhere in the row, or internal: the worker's re-resolved request, the form's plumbing. */
const HIDDEN = new Set(["app", "request", "confirm", "expectCurrent", "expectBackupId", "expectLastChange"]);

/**
 * Params as a key/value list, each value and the number of pairs capped: a page of 50 entries stays small
 * even if an entry from before the size limits holds megabytes. Scrubbed again in case an older entry
 * predates a scrub rule. Backups show by name (`names`, keyed "<app>:<id>"); long values wrap between
 * words, never inside one, unless a single word is wider than the cell.
 */
export function Params({ params, app, names }: { params: Record<string, unknown>; app?: string | null; names?: Map<string, string> }) {
  const entries = Object.entries(scrubParams(params)).filter(([k, v]) => v !== "" && v !== null && v !== undefined && !HIDDEN.has(k));
  if (entries.length === 0) return null;
  const shown = entries.slice(0, MAX_PARAMS);
  const text = (k: string, v: unknown) => {
    const raw = typeof v === "string" ? v : JSON.stringify(v);
    if (k === "backupId" && app) {
      const name = names?.get(`${app}:${raw}`);
      if (name) return `${name} (#${raw})`;
    }
    if (k === "jobId" || k === "undoOf") return `#${raw}`;
    return raw;
  };
  return (
    <dl className="mt-1 grid grid-cols-[max-content_1fr] gap-x-3 gap-y-0.5 text-xs" data-testid="audit-params">
      {shown.map(([k, v]) => (
        <div key={k} className="contents">
          <dt className="whitespace-nowrap text-slate-500">{cut(LABELS[k] ?? k, 64)}</dt>
          <dd className="font-mono break-words text-slate-800">{cut(text(k, v), MAX_VALUE)}</dd>
        </div>
      ))}
      {entries.length > shown.length && <dd className="col-span-2 text-slate-500">… {entries.length - shown.length} more</dd>}
    </dl>
  );
}

export function cutMessage(message: string): string {
  return cut(message, 500);
}

/** Actor and app columns do not wrap: anything longer than a real slug or a usual email is cut (full text on hover). */
export function cutCell(text: string): string {
  return cut(text, 32);
}

/** The hash chain's state: verified when the log is small enough to check on every view, else on request. */
export function ChainStatus({ report, rows, verifyHref }: { report: ChainReport | null; rows: number; verifyHref: string }) {
  if (!report) {
    return (
      <Alert tone="info" data-testid="audit-chain">
        {rows} rows in the hash chain.{" "}
        <Link href={verifyHref} className={buttonClasses({ variant: "ghost", size: "sm" })}>
          Verify the chain
        </Link>{" "}
        (or <code>npm run lifeboat -- audit verify</code>)
      </Alert>
    );
  }
  return (
    <Alert tone={report.ok ? "success" : "error"} title={report.ok ? undefined : "The audit log was tampered with"} data-testid="audit-chain">
      {report.ok ? `Hash chain verified: ${describeChain(report)}.` : `${describeChain(report)}. Entries from this row on cannot be trusted.`}
    </Alert>
  );
}
