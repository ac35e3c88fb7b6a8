// npm run lifeboat -- schedules <list|add|pause|resume|rm> <app> [flags]
// The app's schedules from a shell (the same table and validation as Settings → Schedules and alarms). The
// worker picks changes up within one watchdog interval.
import { recordAudit } from "@/lib/db/queries/audit";
import { createSchedule, deleteSchedule, listSchedules, setScheduleEnabled } from "@/lib/db/queries/schedules";
import { formatDateTime } from "@/lib/format";
import { OpError } from "@/lib/ops/errors";
import { scheduleInputSchema } from "@/lib/validation/schedules";
import { appArg, cliActor, idFlag, parseCommand, requireApp, UsageError, type CliCommand } from "./cli-common";

const spec = {
  usage:
    "schedules list <app>\n  schedules add <app> --cron 'M H D M W' [--tz ZONE] [--method dump|clone] [--action backup|drill] [--label L] [--paused]\n  schedules pause|resume|rm <app> --id N",
  options: {
    cron: { type: "string" },
    tz: { type: "string" },
    method: { type: "string" },
    action: { type: "string" },
    label: { type: "string" },
    paused: { type: "boolean" },
    id: { type: "string" },
  },
  positionals: ["subcommand", "app"],
} as const;
const usage = `usage: npm run lifeboat -- ${spec.usage}`;

export const schedulesCommand: CliCommand = async (args) => {
  const { values: v, positionals } = parseCommand(spec, args);
  const [sub, slugArg] = positionals as [string, string];
  const app = await requireApp(appArg(slugArg, usage));
  const audit = (action: string, params: Record<string, unknown>, message: string) =>
    recordAudit({ actor: cliActor(), action, appSlug: app.slug, params, result: "ok", message });
  if (sub === "list") {
    for (const s of await listSchedules(app.id)) {
      const last = s.lastFiredAt ? `last ${formatDateTime(s.lastFiredAt)} ${s.lastOutcome}` : "never fired";
      console.log([`#${s.id}`, s.cron.padEnd(16), (s.timeZone ?? "UTC").padEnd(18), s.action === "drill" ? "drill" : `${s.method} backup`, s.enabled ? "" : "paused", s.label, last].filter(Boolean).join("  "));
    }
    return 0;
  }
  if (sub === "add") {
    const r = scheduleInputSchema.safeParse({ app: app.slug, cron: v.cron ?? "", timeZone: v.tz, method: v.method ?? app.defaultMethod, action: v.action ?? "backup", label: v.label ?? "", enabled: !v.paused });
    if (!r.success) throw new UsageError(r.error.issues.map((i) => `--${i.path[0] === "timeZone" ? "tz" : String(i.path[0])}: ${i.message}`).join("; "), usage);
    const { app: _app, ...input } = r.data;
    const id = await createSchedule(app.id, input, cliActor());
    await audit("schedules.create", input, `schedule #${id}`);
    console.log(`Schedule #${id} for ${app.slug}: ${input.cron} ${input.timeZone ?? "UTC"}${input.enabled ? "" : " (paused)"}. A running worker picks it up within seconds.`);
    return 0;
  }
  if (sub === "pause" || sub === "resume" || sub === "rm") {
    const id = idFlag(v.id, "id", usage);
    if (id === undefined) throw new UsageError("--id is required: the schedule's number from `schedules list`", usage);
    const done = sub === "rm" ? await deleteSchedule(app.id, id) : await setScheduleEnabled(app.id, id, sub === "resume");
    if (!done) throw new OpError("not_found", `Schedule #${id} is not a schedule of ${app.slug}.`);
    await audit(sub === "rm" ? "schedules.delete" : "schedules.toggle", { scheduleId: id }, `schedule #${id} ${sub === "rm" ? "deleted" : `${sub}d`}`);
    console.log(`Schedule #${id} ${sub === "rm" ? "deleted" : `${sub}d`}.`);
    return 0;
  }
  throw new UsageError(`unknown schedules subcommand ${JSON.stringify(sub)}`, usage);
};
