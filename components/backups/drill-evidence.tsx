import Link from "next/link";
import { Badge } from "@/components/ui/badge";
import type { RestoreDrill } from "@/lib/db/schema-drills";
import { formatDateTime, formatDuration } from "@/lib/format";

/** The backup page's drill history: what each restore drill found, newest first. */
export function DrillEvidence({ app, drills }: { app: string; drills: RestoreDrill[] }) {
  if (drills.length === 0) return null;
  return (
    <section className="space-y-2 rounded-lg border border-slate-200 bg-white p-4" data-testid="drill-evidence">
      <h2 className="text-base font-semibold">Restore drills</h2>
      <ul className="space-y-2 text-sm">
        {drills.map((d) => (
          <li key={d.id} className="space-y-0.5">
            <div className="flex flex-wrap items-center gap-2">
              <Badge tone={d.ok ? "green" : "red"}>{d.ok ? "passed" : "failed"}</Badge>
              <span>{formatDateTime(d.at)}</span>
              <span className="text-slate-600">
                restore {formatDuration(d.restoreMs)} · drill {formatDuration(d.durationMs)} · {d.tables ?? "—"} tables · {d.rows?.toLocaleString("en-US") ?? "—"} rows
              </span>
              {d.jobId && (
                <Link href={`/apps/${app}/jobs/${d.jobId}`} className="text-sky-700 hover:underline">
                  job #{d.jobId}
                </Link>
              )}
            </div>
            {d.smoke && <div className="text-xs text-slate-600">smoke query: {d.smoke}</div>}
            {d.properties && (
              <div className="text-xs break-words text-slate-600">
                database properties {d.ok ? "matched" : "compared"}: {d.properties.compared.join(", ") || "none"}
                {d.properties.notCompared.length > 0 && <> · not compared: {d.properties.notCompared.join("; ")}</>}
              </div>
            )}
            {d.error && <div className="text-xs break-words text-red-700">{d.error}</div>}
            {d.differences.length > 0 && (
              <ul className="list-disc pl-5 font-mono text-xs text-red-800">
                {d.differences.slice(0, 10).map((x) => (
                  <li key={x}>{x}</li>
                ))}
              </ul>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
