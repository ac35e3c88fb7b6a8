// npm run bench:pages: how the dashboard's pages hold up with 1,000 backups and 10,000 audit rows (issue 8
// item 15), on a throwaway cluster under .lifeboat/bench-pages and the production build (`npx next build`
// first). Each page is measured sequentially and 20 at a time beside a static file of the same server
// (/robots.txt), so the ratios mean something on a shared machine; absolute times here are noise.
//
//   npm run bench:pages                       1,000 backups, 10,000 audit rows, port 3409
//   npm run bench:pages -- --backups 2000 --audit 20000 --port 3408 --rounds 40
//   npm run bench:pages -- --save             also keeps each page's HTML in .lifeboat/bench-pages/html/ to look at
import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { encode } from "next-auth/jwt";
import { startCluster } from "./lib/pg-cluster";
import { Supervisor } from "./lib/demo-supervisor";
import { printTable } from "./lib/print-table";

const { values: opts } = parseArgs({
  options: { backups: { type: "string", default: "1000" }, audit: { type: "string", default: "10000" }, port: { type: "string", default: "3409" }, rounds: { type: "string", default: "30" }, save: { type: "boolean", default: false } },
  strict: true,
});
const N_BACKUPS = Number(opts.backups);
const N_AUDIT = Number(opts.audit);
const PORT = Number(opts.port);
const ROUNDS = Number(opts.rounds);
const CONCURRENCY = 20;
const root = process.cwd();
const baseDir = path.resolve(".lifeboat/bench-pages");
const say = (s: string) => console.log(`bench │ ${s}`);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const COOKIE = "authjs.session-token";

async function seed(url: string, deployRoot: string, backupsDir: string) {
  const sql = postgres(url, { onnotice: () => {}, max: 1 });
  try {
    const [app] = await sql<{ id: number }[]>`
      INSERT INTO apps (slug, db_host, db_port, db_user, db_name, backups_dir, deploy_root, can_create_db, server_version, db_size_bytes)
      VALUES ('bench', '127.0.0.1', 1, 'bench', 'bench', ${backupsDir}, ${deployRoot}, true, '15.18', 1500000000) RETURNING id`;
    // Mixed: small dumps most hours, GB clones now and then, a few named and pre-rollback, some failed.
    await sql`
      INSERT INTO backups (app_id, name, method, kind, format, status, label, size_bytes, created_at, created_by, release, sha256, verified_at, duration_ms)
      SELECT ${app!.id},
             CASE WHEN i % 10 = 0 THEN 'bench_backup_' || i ELSE 'bench_' || i || '.dump' END,
             (CASE WHEN i % 10 = 0 THEN 'clone' ELSE 'dump' END)::backup_method,
             (CASE WHEN i % 97 = 0 THEN 'named' WHEN i % 89 = 0 THEN 'pre_rollback' WHEN i % 3 = 0 THEN 'manual' ELSE 'automatic' END)::backup_kind,
             (CASE WHEN i % 10 = 0 THEN NULL ELSE 'custom' END)::dump_format,
             (CASE WHEN i % 53 = 0 THEN 'failed' ELSE 'ok' END)::backup_status,
             CASE WHEN i % 97 = 0 THEN 'v' || i || '.0' END,
             CASE WHEN i % 10 = 0 THEN 1500000000 + i ELSE 1500000 + i * 10 END,
             now() - make_interval(hours => ${N_BACKUPS} - i),
             'bench@example.com', 'r' || (i % 3 + 1), md5(i::text) || md5(i::text), now() - make_interval(hours => ${N_BACKUPS} - i), 1200
      FROM generate_series(1, ${N_BACKUPS}) AS i`;
    // Through the table's own hash-chain trigger, like every real row.
    await sql`
      INSERT INTO audit_log (actor_email, app_slug, action, params, result, message, duration_ms)
      SELECT 'bench@example.com', 'bench', (ARRAY['backups.start', 'backups.pin', 'rollback.start', 'auth.sign_in'])[1 + i % 4],
             jsonb_build_object('app', 'bench', 'backupId', i), 'ok', 'bench row ' || i, 12
      FROM generate_series(1, ${N_AUDIT}) AS i`;
    const [user] = await sql<{ id: number }[]>`
      INSERT INTO users (email, password_hash, role) VALUES ('bench@example.com', 'x', 'admin') RETURNING id`;
    return { userId: user!.id };
  } finally {
    await sql.end();
  }
}

async function measure(url: string, cookie: string): Promise<{ seq: number[]; conc: number[]; bytes: number; status: number }> {
  const one = async () => {
    const t = performance.now();
    const res = await fetch(url, { headers: { cookie }, redirect: "manual" });
    const body = await res.arrayBuffer();
    return { ms: performance.now() - t, bytes: body.byteLength, status: res.status };
  };
  const first = await one(); // warm-up (and the size)
  if (opts.save) {
    await fs.mkdir(path.join(baseDir, "html"), { recursive: true });
    const html = await (await fetch(url, { headers: { cookie } })).text();
    await fs.writeFile(path.join(baseDir, "html", `${new URL(url).pathname.replace(/\W+/g, "_") || "root"}.html`), html);
  }
  const seq: number[] = [];
  for (let i = 0; i < ROUNDS; i++) seq.push((await one()).ms);
  const conc: number[] = [];
  for (let r = 0; r < 3; r++) conc.push(...(await Promise.all(Array.from({ length: CONCURRENCY }, one))).map((x) => x.ms));
  return { seq, conc, bytes: first.bytes, status: first.status };
}

async function main() {
  await fs.access(path.join(root, ".next", "BUILD_ID")).catch(() => {
    throw new Error("No production build: run `npx next build` first.");
  });
  await fs.rm(baseDir, { recursive: true, force: true });
  await fs.mkdir(baseDir, { recursive: true });
  const cluster = await startCluster({ baseDir: path.join(baseDir, "pg"), log: say });
  const sup = new Supervisor({ onUnexpectedExit: (name, st) => say(`${name} exited (${st.signal ?? st.code})`) });
  try {
    const admin = postgres(cluster.url(), { onnotice: () => {} });
    await admin.unsafe("CREATE DATABASE lifeboat_bench");
    await admin.end();
    const metaUrl = cluster.url("lifeboat_bench");
    process.env.DATABASE_URL = metaUrl;
    const secrets = { AUTH_SECRET: crypto.randomBytes(32).toString("base64"), LIFEBOAT_SECRET_KEY: crypto.randomBytes(32).toString("base64") };
    Object.assign(process.env, secrets);
    const { migrateMetadata } = await import("@/lib/db/migrate");
    await migrateMetadata();
    const deployRoot = path.join(baseDir, "deploy");
    // Complete releases, so the app page carries its "Roll back…" dialog and backup picker like a real one.
    for (const r of ["r1", "r2", "r3"]) {
      await fs.mkdir(path.join(deployRoot, "releases", r), { recursive: true });
      await fs.writeFile(path.join(deployRoot, "releases", r, ".lifeboat-release-complete"), "");
    }
    await fs.symlink(path.join("releases", "r3"), path.join(deployRoot, "current"));
    await fs.mkdir(path.join(baseDir, "backups"), { recursive: true });
    say(`seeding ${N_BACKUPS} backups and ${N_AUDIT} audit rows`);
    const { userId } = await seed(metaUrl, deployRoot, path.join(baseDir, "backups"));
    const { createSession } = await import("@/lib/db/queries/sessions");
    const sid = await createSession({ userId, hours: 2, userAgent: "bench", ip: "127.0.0.1" });
    const token = await encode({ token: { uid: userId, role: "admin", sid, email: "bench@example.com" }, secret: secrets.AUTH_SECRET, salt: COOKIE, maxAge: 7200 });
    const cookie = `${COOKIE}=${token}`;

    let ready!: () => void;
    const up = new Promise<void>((r) => (ready = r));
    sup.start({
      name: "dashboard",
      file: path.join(root, "node_modules", ".bin", "next"),
      args: ["start", "-p", String(PORT), "-H", "127.0.0.1"],
      env: { ...process.env, ...secrets, DATABASE_URL: metaUrl, AUTH_TRUST_HOST: "true", NEXT_TELEMETRY_DISABLED: "1", LIFEBOAT_WORKER_INPROCESS: "0" },
      onStdoutLine: (line) => /Ready|✓/.test(line) && ready(),
    });
    await up;
    const base = `http://127.0.0.1:${PORT}`;
    const probe = await fetch(`${base}/apps`, { headers: { cookie }, redirect: "manual" });
    if (probe.status !== 200) throw new Error(`the forged session was refused (HTTP ${probe.status}); nothing to measure`);

    const pages: [string, string][] = [
      ["static /robots.txt (baseline)", "/robots.txt"],
      ["apps list", "/apps"],
      ["app page", "/apps/bench"],
      ["releases", "/apps/bench/releases"],
      ["audit", "/audit"],
    ];
    const rows: string[][] = [];
    let baseline = { p50: 1, p95: 1, c95: 1 };
    const results: Record<string, { bytes: number; p95: number }> = {};
    for (const [label, p] of pages) {
      say(`measuring ${p}`);
      const m = await measure(base + p, cookie);
      if (m.status !== 200) throw new Error(`${p} answered HTTP ${m.status}`);
      const s = { p50: pct(m.seq, 50), p95: pct(m.seq, 95), c50: pct(m.conc, 50), c95: pct(m.conc, 95) };
      if (p === "/robots.txt") baseline = s;
      results[p] = { bytes: m.bytes, p95: s.p95 };
      rows.push([label, `${(m.bytes / 1024).toFixed(1)} KB`, s.p50.toFixed(0), s.p95.toFixed(0), `${(s.p95 / baseline.p95).toFixed(1)}×`, s.c50.toFixed(0), s.c95.toFixed(0), `${(s.c95 / baseline.c95).toFixed(1)}×`]);
    }
    console.log("");
    printTable(["page", "HTML", "seq p50 ms", "seq p95 ms", "p95 ÷ static", `${CONCURRENCY}× p50 ms`, `${CONCURRENCY}× p95 ms`, "p95 ÷ static"], rows, new Set([1, 2, 3, 4, 5, 6, 7]));
    const app = results["/apps/bench"]!;
    console.log("");
    console.log(`goal: app page ≤ 150 KB of HTML — ${(app.bytes / 1024).toFixed(1)} KB ${app.bytes <= 150 * 1024 ? "✔" : "✖"}`);
    console.log(`goal: app page ≤ 150 ms p95 sequential on loopback — ${app.p95.toFixed(0)} ms ${app.p95 <= 150 ? "✔" : "✖ (on this machine; compare the ratio)"}`);
    console.log(`(${N_BACKUPS} backups, ${N_AUDIT} audit rows, ${ROUNDS} sequential requests and 3 × ${CONCURRENCY} concurrent per page)`);
  } finally {
    await sup.stop("dashboard").catch(() => {});
    await cluster.stop().catch(() => {});
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`bench:pages failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
