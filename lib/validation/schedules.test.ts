import { describe, expect, it } from "vitest";
import { cronProblem, nextRuns, scheduledRetentionSchema, scheduleInputSchema, timeZoneProblem } from "./schedules";

const base = { app: "shop", label: "", action: "backup", method: "dump" };
const errorsOf = (v: Record<string, unknown>) => {
  const r = scheduleInputSchema.safeParse({ ...base, ...v });
  return r.success ? {} : Object.fromEntries(r.error.issues.map((i) => [i.path.join("."), i.message]));
};

describe("schedule validation", () => {
  it("accepts ordinary crons and normalises their spacing", () => {
    const r = scheduleInputSchema.parse({ ...base, cron: "  30   2 * * 1-5 ", timeZone: "Europe/Berlin" });
    expect(r.cron).toBe("30 2 * * 1-5");
    expect(r.timeZone).toBe("Europe/Berlin");
    expect(cronProblem("*/15 * * * *")).toBeNull();
    expect(cronProblem("0 3 1 * *")).toBeNull();
  });

  it.each([
    ["*/5 * * * * *", /more than once a minute/],
    ["* * * *", /five fields are needed/],
    ["61 * * * *", /not a valid cron/],
    ["0 0 31 2 *", /not a valid cron/], // parses, never fires
    ["0 0 * * *; rm -rf /", /five fields/],
    ["$(reboot) * * * *", /five fields/],
    ["0 0 * * *\n0 1 * * *", /five fields are needed/],
    ["", /required/],
    ["1 ".repeat(60), /five fields/],
  ])("refuses cron %j naming the cron field", (cron, why) => {
    const e = errorsOf({ cron });
    expect(Object.keys(e)).toEqual(["cron"]);
    expect(e.cron).toMatch(why);
  });

  it.each(["Mars/Olympus", "../../etc/passwd", "Europe/Berlin; DROP TABLE apps", "x".repeat(100), "+05:00", "Etc/GMT+99"])(
    "refuses time zone %j naming the time zone field only",
    (timeZone) => {
      const e = errorsOf({ cron: "0 2 * * *", timeZone });
      expect(Object.keys(e)).toEqual(["timeZone"]);
      expect(timeZoneProblem(timeZone)).not.toBeNull();
    },
  );

  it("evaluates the cron in the schedule's time zone (DST included)", () => {
    // 02:30 in Berlin is 00:30 UTC in summer and 01:30 UTC in winter.
    expect(nextRuns("30 2 * * *", "Europe/Berlin", new Date("2026-07-01T12:00:00Z"), 1)[0]!.toISOString()).toBe("2026-07-02T00:30:00.000Z");
    expect(nextRuns("30 2 * * *", "Europe/Berlin", new Date("2026-12-01T12:00:00Z"), 1)[0]!.toISOString()).toBe("2026-12-02T01:30:00.000Z");
    expect(nextRuns("30 2 * * *", null, new Date("2026-12-01T12:00:00Z"), 1)[0]!.toISOString()).toBe("2026-12-02T02:30:00.000Z");
  });

  it("retention: newest N needs at least one; GFS needs some period and a real time zone", () => {
    expect(scheduledRetentionSchema.safeParse({ mode: "newest", keep: "0" }).success).toBe(false);
    expect(scheduledRetentionSchema.parse({ mode: "newest", keep: "3" })).toEqual({ mode: "newest", keep: 3 });
    expect(scheduledRetentionSchema.safeParse({ mode: "gfs", daily: "0", weekly: "0", monthly: "0" }).success).toBe(false);
    expect(scheduledRetentionSchema.safeParse({ mode: "gfs", daily: "7", weekly: "4", monthly: "6", timeZone: "Nowhere/Land" }).success).toBe(false);
    expect(scheduledRetentionSchema.parse({ mode: "gfs", daily: "7", weekly: "4", monthly: "6", timeZone: "" })).toEqual({ mode: "gfs", daily: 7, weekly: 4, monthly: 6 });
  });
});
