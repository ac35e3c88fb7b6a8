import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useMetaDb } from "@/test/helpers";
import { runCli } from "@/test/fixtures/cli";
import { registerShopApp } from "@/test/fixtures/shop-app";

let mods: { schedules: typeof import("@/lib/db/queries/schedules"); client: typeof import("@/lib/db/client") };
let appId: number;

beforeAll(async () => {
  await useMetaDb();
  mods = { schedules: await import("@/lib/db/queries/schedules"), client: await import("@/lib/db/client") };
  appId = (await registerShopApp("cli-sched")).id;
});
afterAll(async () => mods?.client.closeDb());

describe("lifeboat schedules", () => {
  it("adds, lists and removes; hostile cron and time zone exit 2 naming the flag and add nothing", async () => {
    for (const [args, why] of [
      [["--cron", "*/5 * * * * *"], /--cron: a seconds field/],
      [["--cron", "0 2 * * *", "--tz", "Europe/Berlin; rm -rf /"], /--tz: an IANA time zone name/],
      [["--cron", "0 2 * * *", "--bogus"], /unknown flag --bogus/],
    ] as const) {
      const r = await runCli(["schedules", "add", "cli-sched", ...args]);
      expect(r.code, r.err).toBe(2);
      expect(r.err).toMatch(why);
    }
    expect(await mods.schedules.listSchedules(appId)).toHaveLength(0);

    const added = await runCli(["schedules", "add", "cli-sched", "--cron", "30 2 * * *", "--tz", "Europe/Berlin", "--label", "nightly"]);
    expect(added.code, added.err).toBe(0);
    const [s] = await mods.schedules.listSchedules(appId);
    expect(s).toMatchObject({ cron: "30 2 * * *", timeZone: "Europe/Berlin", label: "nightly", enabled: true, method: "dump", action: "backup" });
    expect((await runCli(["schedules", "list", "cli-sched"])).out).toContain(`#${s!.id}  30 2 * * *`);
    expect((await runCli(["schedules", "rm", "cli-sched", "--id", "999999"])).code).toBe(1);
    expect((await runCli(["schedules", "rm", "cli-sched", "--id", String(s!.id)])).code).toBe(0);
    expect(await mods.schedules.listSchedules(appId)).toHaveLength(0);
  }, 120_000);
});
