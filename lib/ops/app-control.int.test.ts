import fs from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { target as targetFor, tmpDir } from "@/test/helpers";
import { checkDbReachable, checkHealth, commandDir, runAppCommand, startApp, stopApp, type AppControl } from "./app-control";
import type { OpContext } from "./context";

// Real tiny processes (node -e …) and a real HTTP server; the database check against the test cluster.
function logCtx(): OpContext & { lines: string[] } {
  const lines: string[] = [];
  return { lines, log: (l) => lines.push(l), phase: () => {}, progress: () => {}, step: async () => {} };
}

const servers: http.Server[] = [];
afterAll(() => {
  for (const s of servers) s.close();
});

async function serve(handler: http.RequestListener): Promise<string> {
  const s = http.createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

describe("runAppCommand", () => {
  it("runs an argument array without a shell, in the given directory and env, and logs its output", async () => {
    const dir = await tmpDir("cwd");
    const ctx = logCtx();
    await runAppCommand(["node", "-e", "console.log('in', process.cwd(), process.env.GREETING); console.error('on stderr')"], {
      cwd: dir,
      env: { GREETING: "hello; rm -rf /" },
      timeoutMs: 10_000,
      ctx,
    });
    expect(ctx.lines).toContain(`  in ${dir} hello; rm -rf /`);
    expect(ctx.lines).toContain("  on stderr");
    expect(ctx.lines[0]).toMatch(/^\$ node -e/);
  });

  it("does not interpret shell syntax in arguments", async () => {
    const dir = await tmpDir("noshell");
    const ctx = logCtx();
    await runAppCommand(["node", "-e", "console.log(process.argv.slice(1).join('|'))", `$(touch ${dir}/pwned)`, "; touch x"], { timeoutMs: 10_000, ctx, cwd: dir });
    expect(ctx.lines).toContain(`  $(touch ${dir}/pwned)|; touch x`);
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it("fails with the exit code and the last line of stderr", async () => {
    await expect(
      runAppCommand(["node", "-e", "console.error('port 3000 is taken'); process.exit(3)"], { timeoutMs: 10_000, ctx: logCtx() }),
    ).rejects.toMatchObject({ code: "command_failed", message: expect.stringMatching(/exited with code 3: port 3000 is taken/) });
  });

  it("stops a command that runs past its timeout", async () => {
    const started = Date.now();
    await expect(runAppCommand(["node", "-e", "setTimeout(() => {}, 60000)"], { timeoutMs: 500, ctx: logCtx() })).rejects.toMatchObject({
      code: "command_timeout",
    });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("says when the program does not exist, and refuses an empty command", async () => {
    await expect(runAppCommand(["no-such-program-xyz"], { timeoutMs: 5000, ctx: logCtx() })).rejects.toMatchObject({ code: "command_failed" });
    await expect(runAppCommand([], { timeoutMs: 5000, ctx: logCtx() })).rejects.toMatchObject({ code: "invalid_command" });
  });
});

describe("stopApp / startApp", () => {
  it("run the configured commands in current/ by default, and say when none is configured", async () => {
    const root = await tmpDir("deploy");
    await fs.mkdir(path.join(root, "releases", "r1"), { recursive: true });
    await fs.symlink("releases/r1", path.join(root, "current"));
    const app: AppControl = {
      stopCommand: ["node", "-e", "require('fs').writeFileSync('stopped', process.env.WHO)"],
      startCommand: ["node", "-e", "require('fs').writeFileSync('started', process.env.WHO)"],
      commandCwd: null,
      commandEnv: { WHO: "lifeboat" },
      commandTimeoutSec: 10,
      deployRoot: root,
    };
    expect(commandDir(app)).toBe(path.join(root, "current"));
    expect(await stopApp(app, logCtx())).toBe(true);
    expect(await startApp(app, logCtx())).toBe(true);
    expect(await fs.readFile(path.join(root, "releases", "r1", "stopped"), "utf8")).toBe("lifeboat");
    expect(await fs.readFile(path.join(root, "releases", "r1", "started"), "utf8")).toBe("lifeboat");
    const ctx = logCtx();
    expect(await startApp({ ...app, startCommand: null }, ctx)).toBe(false);
    expect(ctx.lines.join(" ")).toContain("no start command");
  });
});

describe("checkHealth", () => {
  it("polls until the URL answers 2xx", async () => {
    let calls = 0;
    const url = await serve((_req, res) => {
      calls++;
      res.writeHead(calls < 3 ? 503 : 200).end();
    });
    const r = await checkHealth(`${url}/health`, 10_000, { intervalMs: 100 });
    expect(r).toMatchObject({ ok: true, status: 200, attempts: 3 });
  });

  it("fails after the timeout with the last status, and does not follow redirects", async () => {
    const url = await serve((_req, res) => res.writeHead(302, { location: "/login" }).end());
    const r = await checkHealth(url, 1200, { intervalMs: 200 });
    expect(r.ok).toBe(false);
    expect(r.status).toBe(302);
    expect(r.ms).toBeGreaterThanOrEqual(900);
    expect(r.ms).toBeLessThan(4000);
  });

  it("fails when nothing listens", async () => {
    const url = await serve((_req, res) => res.end());
    servers.pop()!.close();
    await new Promise((r) => setTimeout(r, 50));
    const r = await checkHealth(url, 800, { intervalMs: 200 });
    expect(r.ok).toBe(false);
    expect(r.error).toEqual(expect.stringMatching(/\S/));
  });
});

describe("checkDbReachable", () => {
  it("connects to a database that exists, and reports one that does not", async () => {
    expect((await checkDbReachable(targetFor("postgres"))).ok).toBe(true);
    const missing = await checkDbReachable(targetFor("no_such_db_here"));
    expect(missing.ok).toBe(false);
    expect(missing.error).toMatch(/does not exist/);
  });
});
