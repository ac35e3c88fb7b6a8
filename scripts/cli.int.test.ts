// The real CLI as a child process against the test cluster: issue 7 finding 9's command lines exit 2 and
// change nothing (the live database, `current`, the jobs table), malformed ones never even connect, a
// destructive command without --yes and without a terminal refuses after showing its plan, and
// `audit verify` reports the chain.
import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminSql, useMetaDb } from "@/test/helpers";
import { setupShopApp, type ShopApp } from "@/test/fixtures/rollback-app";
import { runUnchecked } from "@/lib/ops/exec";

let shop: ShopApp;
let backupId: number;
let metaUrl: string;
let mods: { client: typeof import("@/lib/db/client"); jobs: typeof import("@/lib/jobs"); apps: typeof import("@/lib/db/queries/apps") };

const root = process.cwd();
const tsx = path.join(root, "node_modules", ".bin", "tsx");

async function cli(args: string[], env: Record<string, string> = {}) {
  const r = await runUnchecked(tsx, ["--conditions=react-server", path.join(root, "scripts", "cli.ts"), ...args], {
    cwd: root,
    env: { DATABASE_URL: metaUrl, LIFEBOAT_SECRET_KEY: process.env.LIFEBOAT_SECRET_KEY!, AUTH_SECRET: process.env.AUTH_SECRET!, ...env },
    timeoutMs: 120_000,
  });
  return { code: r.code, out: r.stdout, err: r.stderrTail };
}

async function world() {
  const meta = adminSql(new URL(metaUrl).pathname.slice(1));
  try {
    const jobs = await meta<{ n: number }[]>`SELECT count(*)::int AS n FROM jobs`;
    return { fingerprint: await shop.fingerprint(), current: await fs.readlink(path.join(shop.root, "current")), jobs: jobs[0]!.n };
  } finally {
    await meta.end();
  }
}

beforeAll(async () => {
  metaUrl = await useMetaDb();
  mods = { client: await import("@/lib/db/client"), jobs: await import("@/lib/jobs"), apps: await import("@/lib/db/queries/apps") };
  shop = await setupShopApp({ slug: "shop-cli", releases: ["r1", "r2"] });
  const app = (await mods.apps.getAppById(shop.appId))!;
  const { done } = await mods.jobs.startBackup({ app, method: "dump", actor: "test" });
  const outcome = await done;
  expect(outcome.status).toBe("ok");
  backupId = (outcome.result as { backupId: number }).backupId;
  // After the backup, so that a restore from it would visibly change the live database.
  const sql = adminSql(shop.db);
  await sql`UPDATE settings SET value = 'changed after the backup' WHERE key = 'banner'`;
  await sql.end();
});

afterAll(async () => {
  await shop?.appctl("stop").catch(() => {});
  await mods?.client.closeDb();
});

describe("lifeboat CLI", () => {
  it("refuses finding 9's command lines with exit 2, naming the flag, and changes nothing", async () => {
    const before = await world();
    const cases: [string[], RegExp][] = [
      [["restore", "shop-cli", "--backup", "--yes"], /--backup needs a value/],
      [["restore", "shop-cli", "--backup", "", "--yes"], /--backup needs a value/],
      [["undo", "shop-cli", "--job", "", "--yes"], /--job needs a value/],
      [["rollback", "shop-cli", "--relase", "r1", "--yes"], /unknown flag --relase/],
      [["restore", "shop-cli", "--backup", String(backupId), "--yes", "now"], /unexpected argument "now"/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.err).toMatch(/usage: npm run lifeboat -- \S+ <app>/);
      expect(r.out).not.toMatch(/job #/);
    }
    expect(await world()).toEqual(before);
  });

  it("rejects a malformed command line before connecting to any database", async () => {
    // Port 1 refuses connections: any attempt to read the metadata would fail with exit 1, not 2.
    const nowhere = { DATABASE_URL: "postgres://nobody@127.0.0.1:1/nowhere" };
    for (const args of [["restore", "shop-cli", "--backup", "--yes"], ["rollback", "shop-cli", "--relase", "r1"], ["frobnicate"]]) {
      const r = await cli(args, nowhere);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.err).not.toMatch(/ECONNREFUSED|connect/i);
    }
    expect((await cli(["apps"], nowhere)).code).toBe(1); // the control: a valid command does try to connect
  });

  it("shows a restore's plan and what --yes would do, then refuses without a terminal", async () => {
    const before = await world();
    const r = await cli(["restore", "shop-cli", "--backup", String(backupId)]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/1\. /);
    expect(r.out).toMatch(/With --yes this would run these \d+ steps on shop-cli now/);
    expect(r.err).toMatch(/Refusing without confirmation/);
    expect(await world()).toEqual(before);
  });

  it("a successful command ends in words; with --json stdout is one JSON line for scripts", async () => {
    const human = await cli(["backup", "shop-cli", "--method", "dump", "--name", "cli-words"]);
    expect(human.code, human.err).toBe(0);
    const last = human.out.trim().split("\n").at(-1)!;
    expect(last).toMatch(/^✔ job #\d+ ok: backup #\d+ \S+\.dump \(dump\) written and verified\./);
    expect(human.out).not.toMatch(/[{}]/);

    const json = await cli(["backup", "shop-cli", "--method", "dump", "--name", "cli-json", "--json"]);
    expect(json.code, json.err).toBe(0);
    const lines = json.out.trim().split("\n");
    expect(lines).toHaveLength(1);
    const parsed = JSON.parse(lines[0]!);
    expect(parsed).toMatchObject({ status: "ok", result: { method: "dump", backupId: expect.any(Number) } });
    expect(json.err).toMatch(/backing up shop-cli/);

    // A restore drill of that backup, from a pipeline: one JSON line, the drill's evidence in it.
    const drill = await cli(["drill", "shop-cli", "--backup", String(parsed.result.backupId), "--json"]);
    expect(drill.code, drill.err).toBe(0);
    expect(drill.out.trim().split("\n")).toHaveLength(1);
    expect(JSON.parse(drill.out)).toMatchObject({ status: "ok" });
    expect(drill.err).toMatch(/restore drill for shop-cli/);

    // Read back from a shell: the verdict in words, exit 0.
    const verify = await cli(["verify", "shop-cli", "--backup", String(parsed.result.backupId)]);
    expect(verify.code, verify.err).toBe(0);
    const verifyJob = /job #(\d+): verifying a backup for shop-cli/.exec(verify.out)?.[1];
    expect(verify.out.trim().split("\n").at(-1)).toBe(`✔ job #${verifyJob} ok: backup #${parsed.result.backupId} verified.`);
  });

  it("audit verify: exit 0 with the row count, exit 1 naming the first broken row", async () => {
    const ok = await cli(["audit", "verify"]);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/^\d+ rows, chain intact/);
    const sql = adminSql(new URL(metaUrl).pathname.slice(1));
    let id = 0;
    try {
      id = (await sql<{ id: number }[]>`SELECT min(id)::int AS id FROM audit_log`)[0]!.id;
      await sql.begin(async (tx) => {
        await tx`ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only`;
        await tx`UPDATE audit_log SET message = 'nothing happened here' WHERE id = ${id}`;
        await tx`ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only`;
      });
    } finally {
      await sql.end();
    }
    const bad = await cli(["audit", "verify"]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(new RegExp(`row #${id} was changed`));
  });
});
