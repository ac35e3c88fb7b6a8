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

/**
 * Params as key=value pairs, each value and the number of pairs capped: a page of 100 entries stays small
 * even if an entry from before the size limits holds megabytes. Scrubbed again in case an older entry
 * predates a scrub rule.
 */
export function Params({ params }: { params: Record<string, unknown> }) {
  const entries = Object.entries(scrubParams(params)).filter(([, v]) => v !== "" && v !== null && v !== undefined);
  if (entries.length === 0) return null;
  const shown = entries.slice(0, MAX_PARAMS);
  return (
    <p className="mt-0.5 font-mono text-xs break-all text-slate-500">
      {shown.map(([k, v], i) => (
        <span key={k}>
          {i > 0 && " "}
          <span className="text-slate-600">{cut(k, 64)}</span>=<span className="text-slate-800">{cut(typeof v === "string" ? v : JSON.stringify(v), MAX_VALUE)}</span>
        </span>
      ))}
      {entries.length > shown.length && <span> … {entries.length - shown.length} more</span>}
    </p>
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
