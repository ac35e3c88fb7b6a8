// integrations/: the real ansible-playbook (Debian's ansible-core, uri module) and the curl script against
// Lifeboat's real API route handlers served over HTTP on 127.0.0.1, the in-process worker, and a demo app whose
// releases are copied in by the playbook as seed 000's deploy does. Checks that the backup, the release and the
// rollback (`-e mode=rollback -e restore_database=true`) happened, and that a release that fails its health
// check fails the play.
import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { adminSql, queryRows, tmpDir, useMetaDb } from "@/test/helpers";
import { setupShopApp, type ShopApp } from "@/test/fixtures/rollback-app";
import { startApiServer, type ApiServer } from "@/test/fixtures/api-server";
import type { SessionUser } from "@/lib/auth/session";
import { runUnchecked } from "@/lib/ops/exec";
import { createDemoReleases } from "@/scripts/lib/demo-releases";
import { RELEASE_COMPLETE_MARKER, readCurrentRelease } from "@/lib/ops/releases";

vi.mock("@/lib/auth/session", () => ({ getSessionUser: async (): Promise<SessionUser | null> => null, requireUser: async () => null }));

const { createApiToken } = await import("@/lib/auth/api-auth");
const { createUser } = await import("@/lib/db/queries/users");
const { closeDb } = await import("@/lib/db/client");
const events = await import("@/lib/db/queries/release-events");

const SLUG = "shop-ans";
const here = path.join(process.cwd(), "integrations");
let shop: ShopApp;
let api: ApiServer;
let token = "";
let build = "";
let metaUrl = "";

async function playbook(vars: Record<string, unknown>, flags: string[] = []) {
  // Variables (the token among them) in a 0600 file, never on ansible-playbook's command line.
  const file = path.join(await tmpDir("ansible-vars"), "vars.json");
  await fs.writeFile(file, JSON.stringify({ app: SLUG, deploy_root: shop.root, lifeboat_url: api.url, lifeboat_token: token, lifeboat_wait_s: 20, ...vars }), { mode: 0o600 });
  const r = await runUnchecked("ansible-playbook", ["-i", "localhost,", "-c", "local", path.join(here, "ansible", "deploy.yml"), "-e", `@${file}`, ...flags], {
    env: { ANSIBLE_NOCOLOR: "1", ANSIBLE_PYTHON_INTERPRETER: "auto_silent", ANSIBLE_RETRY_FILES_ENABLED: "0", ANSIBLE_PIPELINING: "1" },
    timeoutMs: 300_000,
  });
  return { code: r.code, out: r.stdout + r.stderrTail };
}

async function releaseSh(args: string[]) {
  const r = await runUnchecked(path.join(here, "ci", "release.sh"), args, { env: { LIFEBOAT_URL: api.url, LIFEBOAT_TOKEN: token, LIFEBOAT_WAIT_S: "20" }, timeoutMs: 300_000 });
  return { code: r.code, out: r.stdout, err: r.stderrTail };
}

const meta = <T>(query: string) => queryRows<T>(metaUrl, query);

beforeAll(async () => {
  metaUrl = await useMetaDb();
  const admin = await createUser({ email: "ansible@example.com", password: "ansible-password-1", role: "admin" });
  token = (await createApiToken(admin.id, "ansible")).token;
  api = await startApiServer();
  shop = await setupShopApp({ slug: SLUG, releases: ["r1"], healthTimeoutSec: 2 });
  // The build output a deploy uploads: release files without the completion marker (the playbook writes it last).
  build = await tmpDir("build");
  await createDemoReleases(build, ["r2", "r3-bad"], { unhealthy: ["r3-bad"] });
  for (const r of ["r2", "r3-bad"]) await fs.rm(path.join(build, "releases", r, RELEASE_COMPLETE_MARKER));
});

afterAll(async () => {
  await shop?.appctl("stop").catch(() => {});
  await api?.close();
  await closeDb();
});

// Each play starts ansible-playbook and a Python process per task: on a loaded 2-core machine a play can take minutes.
describe("Ansible and CI integrations", { timeout: 400_000 }, () => {
  it("deploy: the playbook copies the release, and Lifeboat backs up, switches and checks health", async () => {
    const r = await playbook({ release: "r2", release_src: path.join(build, "releases", "r2") });
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/Release r2 is current \(job \d+, backup db_backup_\d+\.dump\)/);
    expect(await readCurrentRelease(shop.root)).toBe("r2");
    expect(await shop.api()).toMatchObject({ release: "r2" });
    const backups = await meta<{ kind: string; status: string; for_release: string }>(`SELECT kind, status, for_release FROM backups ORDER BY id`);
    expect(backups).toEqual([{ kind: "automatic", status: "ok", for_release: "r2" }]);
    const kinds = (await events.listReleaseEvents(shop.appId)).reverse().map((e) => `${e.release}:${e.kind}:${e.actor}`);
    expect(kinds).toEqual(["r2:deployed:ansible@example.com", "r2:became_current:ansible@example.com"]);
  });

  it("a release that fails its health check fails the play, and the previous release is back", async () => {
    const r = await playbook({ release: "r3-bad", release_src: path.join(build, "releases", "r3-bad") });
    expect(r.code, r.out).not.toBe(0);
    expect(r.out).toMatch(/Release r3-bad undone \(job \d+\)/);
    expect(await readCurrentRelease(shop.root)).toBe("r2");
    expect(await shop.api()).toMatchObject({ release: "r2" });
  });

  it("release.sh: a repeated release is the same job; a missing release and a hostile name are refused", async () => {
    const jobsBefore = (await meta<{ n: number }>(`SELECT count(*)::int AS n FROM jobs`))[0]!.n;
    const again = await releaseSh([SLUG, "r2"]);
    expect(again.code, again.err).toBe(0);
    expect(again.out).toMatch(/an earlier call's job/);
    expect(again.out).toMatch(/release r2: released \(current → r2\)/);
    const missing = await releaseSh([SLUG, "r9"]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/release_missing/);
    const hostile = await releaseSh([SLUG, "../x"]);
    expect(hostile.code).toBe(2);
    expect((await meta<{ n: number }>(`SELECT count(*)::int AS n FROM jobs`))[0]!.n).toBe(jobsBefore);
  });

  it("-e mode=rollback -e restore_database=true: the previous release and the database from before r2", async () => {
    const before = (await shop.api()).banner;
    const sql = adminSql(shop.db);
    await sql`UPDATE settings SET value = 'written while r2 ran' WHERE key = 'banner'`;
    await sql.end();
    expect((await shop.api()).banner).toBe("written while r2 ran");

    const r = await playbook({ mode: "rollback", restore_database: true });
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/Lifeboat job \d+ \(rollback\) ok/);
    expect(await readCurrentRelease(shop.root)).toBe("r1");
    expect(await shop.api()).toMatchObject({ release: "r1", banner: before });
    const [job] = await meta<{ type: string; status: string; actor: string; restored: string }>(
      `SELECT type, status, actor, result -> 'restoredFrom' ->> 'name' AS restored FROM jobs ORDER BY id DESC LIMIT 1`,
    );
    const [backup] = await meta<{ name: string }>(`SELECT name FROM backups WHERE for_release = 'r2'`);
    expect(job).toMatchObject({ type: "rollback", status: "ok", actor: "ansible@example.com", restored: backup!.name });
  });

  it("-e mode=backup: a verified automatic backup, for playbooks that switch releases themselves; -vvv shows no token", async () => {
    // -vvv prints each module's arguments — the Authorization header among them unless the task is no_log.
    const r = await playbook({ mode: "backup", release: "r4" }, ["-vvv"]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).not.toContain(token);
    expect(r.out).toMatch(/Lifeboat job \d+ \(backup\) ok/);
    const rows = await meta<{ kind: string; status: string }>(`SELECT kind, status FROM backups WHERE for_release = 'r4'`);
    expect(rows).toEqual([{ kind: "automatic", status: "ok" }]);
  });
});
