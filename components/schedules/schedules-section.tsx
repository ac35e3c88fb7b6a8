import { RelativeTime } from "@/components/ui/relative-time";
import { Table, TBody, Td, Th, THead, Tr } from "@/components/ui/table";
import type { Schedule } from "@/lib/db/schema-schedules";
import { DEFAULT_SCHEDULED_RETENTION, nextRuns, type ScheduledRetention } from "@/lib/validation/schedules";
import { RetentionForm } from "./retention-form";
import { ScheduleButtons } from "./schedule-buttons";
import { ScheduleForm } from "./schedule-form";

/** The settings page's "Schedules and alarms" section: the app's schedules, how they are kept, the alarm. */
export function SchedulesSection(props: {
  app: string;
  defaultMethod: "dump" | "clone";
  schedules: Schedule[];
  retention: ScheduledRetention | null;
  staleAfterHours: number;
  overdueSince: Date | null;
}) {
  const now = new Date();
  return (
    <section aria-labelledby="schedules-h" className="space-y-4 rounded-lg border border-slate-200 bg-white p-4">
      <h2 id="schedules-h" className="text-base font-semibold text-slate-900">Schedules and alarms</h2>
      <p className="text-sm text-slate-600">
        The worker runs these (<code>npm run worker</code>); a firing while the app is busy is skipped and shown here. If no verified backup is
        younger than {props.staleAfterHours} h (“Warn after” above), the app is marked overdue and a <code>backup.overdue</code> event goes out once.
        {props.overdueSince && <strong className="text-red-700"> Overdue since <RelativeTime at={props.overdueSince} />.</strong>}
      </p>
      {props.schedules.length > 0 && (
        <Table label="Schedules">
          <THead>
            <tr>
              <Th>Schedule</Th>
              <Th>Next</Th>
              <Th>Last firing</Th>
              <Th>{""}</Th>
            </tr>
          </THead>
          <TBody>
            {props.schedules.map((s) => (
              <Tr key={s.id} data-testid="schedule-row">
                <Td>
                  <span className="font-mono">{s.cron}</span> {s.timeZone ?? "UTC"} · {s.action === "drill" ? "drill" : `${s.method} backup`}
                  {s.label && <span className="text-slate-600"> · {s.label}</span>}
                  {!s.enabled && <span className="text-amber-700"> · paused</span>}
                </Td>
                <Td>{s.enabled ? nextRun(s, now) : "—"}</Td>
                <Td>
                  {s.lastFiredAt ? (
                    <span title={s.lastMessage ?? undefined}>
                      <RelativeTime at={s.lastFiredAt} /> · {s.lastOutcome}
                      {s.lastOutcome !== "started" && s.lastMessage && <span className="block text-xs text-slate-600">{s.lastMessage}</span>}
                    </span>
                  ) : (
                    "never"
                  )}
                </Td>
                <Td>
                  <ScheduleButtons app={props.app} scheduleId={s.id} enabled={s.enabled} />
                </Td>
              </Tr>
            ))}
          </TBody>
        </Table>
      )}
      <ScheduleForm app={props.app} defaultMethod={props.defaultMethod} />
      <h3 className="text-sm font-semibold text-slate-900">Retention of scheduled backups</h3>
      <p className="text-sm text-slate-600">Per method. Named, pinned and pre-rollback backups are never pruned; the newest verified backup always stays.</p>
      <RetentionForm app={props.app} value={props.retention ?? DEFAULT_SCHEDULED_RETENTION} />
    </section>
  );
}

/** A row edited by hand into nonsense shows "invalid" here (the worker skips it too) rather than break the page. */
function nextRun(s: Schedule, now: Date): string {
  try {
    return `${nextRuns(s.cron, s.timeZone, now, 1)[0]!.toISOString().replace("T", " ").slice(0, 16)} UTC`;
  } catch {
    return "invalid";
  }
}
