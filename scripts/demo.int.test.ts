import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { tmpDir } from "@/test/helpers";
import { freePort } from "./lib/pg-cluster";

// The real demo script, started the way people start it (npm → sh → tsx → node), stopped from outside
// while it is bringing up its PostgreSQL cluster. No dashboard build is needed: every case here ends
// before the dashboard would start.

const ROOT = path.resolve(import.meta.dirname, "..");

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function start(file: string, args: string[], opts: { detached?: boolean } = {}): Run {
  let out = "";
  const child = spawn(file, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], detached: opts.detached ?? true });
  child.stdout!.setEncoding("utf8").on("data", (c: string) => (out += c));
  child.stderr!.setEncoding("utf8").on("data", (c: string) => (out += c));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return { child, output: () => out, exited };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await sleep(50);
  return cond();
}

/** Processes whose command line mentions `text` (the demo dir): what would be left behind. */
function processesMentioning(text: string): string[] {
  const found: string[] = [];
  for (const pid of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").trim();
      if (cmd.includes(text) && Number(pid) !== process.pid) found.push(`${pid} ${cmd}`);
    } catch {}
  }
  return found;
}

async function expectNothingLeft(dir: string, run: Run) {
  expect(await until(() => processesMentioning(dir).length === 0, 30_000), processesMentioning(dir).join("\n")).toBe(true);
  expect(fs.existsSync(path.join(dir, "pg", "data", "postmaster.pid")), run.output()).toBe(false);
  expect(fs.existsSync(path.join(dir, "demo.lock.json")), run.output()).toBe(false);
}

describe("npm run demo, stopped from outside", () => {
  it("SIGTERM to npm stops the demo and its PostgreSQL cluster, leaving no process and no lock", async () => {
    const dir = await tmpDir("demo-term");
    const run = start("npm", ["run", "--silent", "demo", "--", "--dir", dir, "--port", String(await freePort())]);
    try {
      expect(await until(() => /Starting PostgreSQL/.test(run.output()), 60_000), run.output()).toBe(true);
      process.kill(run.child.pid!, "SIGTERM");
      await run.exited;
      await expectNothingLeft(dir, run);
      expect(run.output()).toMatch(/Stopping \(SIGTERM\)/);
      expect(run.output()).toMatch(/Stopped\./);
    } finally {
      try {
        process.kill(-run.child.pid!, "SIGKILL");
      } catch {}
    }
  });

  it("notices when the shell above it is killed with SIGKILL (no signal reaches it) and stops all the same", async () => {
    const dir = await tmpDir("demo-orphan");
    // `; true` keeps sh from exec'ing tsx: sh stays in between, like npm's shell without `exec`.
    const run = start("sh", ["-c", `node_modules/.bin/tsx --conditions=react-server scripts/demo.ts --dir '${dir}' --port ${await freePort()}; true`]);
    try {
      expect(await until(() => /Starting PostgreSQL/.test(run.output()), 60_000), run.output()).toBe(true);
      process.kill(run.child.pid!, "SIGKILL");
      await run.exited;
      await expectNothingLeft(dir, run);
    } finally {
      try {
        process.kill(-run.child.pid!, "SIGKILL");
      } catch {}
    }
  });
});

describe("npm run demo, refusing to start", () => {
  it("refuses politely while another live demo holds the directory, and touches nothing of it", async () => {
    const dir = await tmpDir("demo-busy");
    // This test process plays the live demo.
    const holder = { pid: process.pid, startTime: null, startedAt: "2026-12-01T00:00:00.000Z", dashboardPort: 3999, groups: [] };
    fs.writeFileSync(path.join(dir, "demo.lock.json"), JSON.stringify(holder));
    const run = start("node_modules/.bin/tsx", ["--conditions=react-server", "scripts/demo.ts", "--dir", dir, "--fresh"]);
    const code = await Promise.race([run.exited, sleep(60_000).then(() => "still running")]);
    expect(code, run.output()).toBe(1);
    expect(run.output()).toMatch(new RegExp(`Another demo is already running from .* \\(pid ${process.pid}, http://127\\.0\\.0\\.1:3999`));
    expect(JSON.parse(fs.readFileSync(path.join(dir, "demo.lock.json"), "utf8"))).toEqual(holder);
    expect(fs.readdirSync(dir)).toEqual(["demo.lock.json"]);
  });

  it("says the dashboard port is taken before it starts anything, and leaves no lock", async () => {
    const dir = await tmpDir("demo-port");
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    const port = (srv.address() as net.AddressInfo).port;
    try {
      const run = start("node_modules/.bin/tsx", ["--conditions=react-server", "scripts/demo.ts", "--dir", dir, "--port", String(port)]);
      const code = await Promise.race([run.exited, sleep(60_000).then(() => "still running")]);
      if (code === "still running") process.kill(-run.child.pid!, "SIGTERM");
      expect(code, run.output()).toBe(1);
      expect(run.output()).toMatch(new RegExp(`Port ${port} is already in use by another program.*Nothing was started`));
      expect(fs.existsSync(path.join(dir, "pg"))).toBe(false);
      expect(fs.existsSync(path.join(dir, "demo.lock.json")), run.output()).toBe(false);
    } finally {
      srv.close();
    }
  });
});
