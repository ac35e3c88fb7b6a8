import cronParser from "cron-parser";
import { z } from "zod";
import { rowIdSchema } from "./ids";
import { slugSchema } from "./apps";

// Shared by the settings form, its actions and the worker (which re-checks what it hands to pg-boss).

const emptyAsUndefined = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
const checkbox = z.preprocess((v) => v === true || v === "on" || v === "true" || v === "1", z.boolean());

/** An IANA zone name both Intl and the cron evaluator (luxon, inside cron-parser) know. Errors name the field. */
export function timeZoneProblem(tz: string): string | null {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(tz)) return "an IANA time zone name such as Europe/Berlin or UTC";
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    cronParser.parseExpression("0 0 * * *", { tz });
    return null;
  } catch {
    return `"${tz}" is not a time zone this server knows (IANA names such as Europe/Berlin, America/New_York, UTC)`;
  }
}

/**
 * Five fields (minute hour day-of-month month day-of-week), evaluated like pg-boss does (cron-parser). A sixth,
 * seconds field would ask for more than one run a minute: refused rather than silently run once a minute.
 * Returns a message for the operator, or null.
 */
export function cronProblem(cron: string, tz?: string): string | null {
  const fields = cron.trim().split(/\s+/);
  if (cron.length > 100 || !/^[0-9A-Za-z*,/\-?#LW\s]+$/.test(cron)) {
    return "five fields: minute hour day-of-month month day-of-week, e.g. 30 2 * * * (02:30 every day)";
  }
  if (fields.length === 6) return "a seconds field would run more than once a minute; use five fields (minute hour day month weekday)";
  if (fields.length !== 5) return `five fields are needed (minute hour day month weekday), not ${fields.length}`;
  try {
    const it = cronParser.parseExpression(fields.join(" "), { tz: tz ?? "UTC" });
    it.next(); // "0 0 31 2 *" parses but never fires: cron-parser gives up its search and throws here
    return null;
  } catch (e) {
    return `not a valid cron expression: ${e instanceof Error ? e.message : String(e)}`;
  }
}

/** The next `n` firing times (shown beside a schedule; pure). */
export function nextRuns(cron: string, tz: string | null, from: Date, n = 3): Date[] {
  const it = cronParser.parseExpression(cron, { tz: tz ?? "UTC", currentDate: from });
  return Array.from({ length: n }, () => it.next().toDate());
}

const timeZoneSchema = z
  .string()
  .trim()
  .superRefine((tz, ctx) => {
    const p = timeZoneProblem(tz);
    if (p) ctx.addIssue({ code: "custom", message: p });
  });

export const scheduleInputSchema = z
  .object({
    app: slugSchema,
    label: z.preprocess((v) => (typeof v === "string" ? v.trim() : ""), z.string().max(60, "at most 60 characters").regex(/^[^\u0000-\u001f<>]*$/, "plain text")),
    cron: z.string().trim().min(1, "a cron expression is required"),
    timeZone: z.preprocess(emptyAsUndefined, timeZoneSchema.optional()),
    action: z.enum(["backup", "drill"]).default("backup"),
    method: z.enum(["dump", "clone"]).default("dump"),
    enabled: checkbox.default(true),
  })
  .superRefine((v, ctx) => {
    if (!v.cron || (v.timeZone && timeZoneProblem(v.timeZone))) return; // reported on its own field
    const p = cronProblem(v.cron, v.timeZone);
    if (p) ctx.addIssue({ code: "custom", path: ["cron"], message: p });
  })
  .transform((v) => ({ ...v, cron: v.cron.split(/\s+/).join(" ") }));
export type ScheduleInput = z.infer<typeof scheduleInputSchema>;

export const scheduleRefSchema = z.object({ app: slugSchema, scheduleId: rowIdSchema("a schedule id") });
export const toggleScheduleSchema = scheduleRefSchema.extend({ enabled: checkbox });

const count = (max: number) => z.coerce.number().int().min(0, "0 or more").max(max, `at most ${max}`);

/** How scheduled backups are pruned: the newest N, or grandfather-father-son (lib/ops/retention.ts planGfs). */
export const scheduledRetentionSchema = z.discriminatedUnion("mode", [
  z.object({ mode: z.literal("newest"), keep: z.coerce.number().int().min(1, "at least 1").max(1000, "at most 1000") }),
  z
    .object({
      mode: z.literal("gfs"),
      daily: count(366),
      weekly: count(520),
      monthly: count(240),
      timeZone: z.preprocess(emptyAsUndefined, timeZoneSchema.optional()),
    })
    .refine((v) => v.daily + v.weekly + v.monthly > 0, { path: ["daily"], message: "keep at least one daily, weekly or monthly backup" }),
]);
export type ScheduledRetention = z.infer<typeof scheduledRetentionSchema>;
export const DEFAULT_SCHEDULED_RETENTION: ScheduledRetention = { mode: "newest", keep: 7 };

export const scheduledRetentionInputSchema = z.object({ app: slugSchema }).and(scheduledRetentionSchema);
