import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { tmpDir } from "@/test/helpers";
import { acquireDemoLock, stopStaleGroups } from "./demo-lock";
import { groupAlive, startTimeOf, Supervisor, type ExitStatus } from "./demo-supervisor";

// Real processes: small node scripts that start children of their own, ignore SIGTERM, or die on their own,
// the way next-server, tsx and a worker do.

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await sleep(25);
  return cond();
}

/** A node script that starts `children` grandchildren (each printing its pid), then runs until killed. */
function parentScript(opts: { children: number; ignoreTerm?: "parent" | "children" | "all" }): string {
  const childIgnores = opts.ignoreTerm === "children" || opts.ignoreTerm === "all";
  // Each child says "armed" once its SIGTERM handler is in place: "ready" before that let a loaded machine's
  // SIGTERM reach a child still starting up, which then died of it (CI saw "term" where "kill" was due).
  const child = `${childIgnores ? "process.on('SIGTERM', () => {});" : ""} process.stdout.write("armed\\n"); setInterval(() => {}, 1000);`;
  return `
    const { spawn } = require("node:child_process");
    ${opts.ignoreTerm === "parent" || opts.ignoreTerm === "all" ? "process.on('SIGTERM', () => {});" : ""}
    let armed = 0;
    const armedOne = () => { if (++armed === ${opts.children}) console.log("ready " + process.pid); };
    for (let i = 0; i < ${opts.children}; i++) {
      const c = spawn(process.execPath, ["-e", ${JSON.stringify(child)}], { stdio: ["ignore", "pipe", "ignore"] });
      c.stdout.once("data", armedOne);
      console.log("child " + c.pid);
    }
    if (${opts.children} === 0) console.log("ready " + process.pid);
    setInterval(() => {}, 1000);
  `;
}

const cleanup: number[] = [];
afterEach(() => {
  for (const pgid of cleanup.splice(0)) {
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {}
  }
});

function startParent(sup: Supervisor, name: string, script: string, stopTimeoutMs = 5000) {
  const lines: string[] = [];
  const svc = sup.start({ name, file: process.execPath, args: ["-e", script], env: { PATH: "/usr/bin:/bin" }, onStdoutLine: (l) => lines.push(l), stopTimeoutMs });
  cleanup.push(svc.pid);
  const ready = until(() => lines.some((l) => l.startsWith("ready")));
  const childPids = () => lines.filter((l) => l.startsWith("child ")).map((l) => Number(l.slice(6)));
  return { svc, ready, childPids };
}

describe("Supervisor", () => {
  it("stops a service and the children it started (a bare kill of the service left them running)", async () => {
    const unexpected: string[] = [];
    const sup = new Supervisor({ onUnexpectedExit: (n) => unexpected.push(n) });
    const p = startParent(sup, "dashboard", parentScript({ children: 2 }));
    expect(await p.ready).toBe(true);
    const kids = p.childPids();
    expect(kids).toHaveLength(2);
    expect(kids.every(alive)).toBe(true);
    expect(await sup.stop("dashboard")).toEqual({ name: "dashboard", how: "term" });
    expect(alive(p.svc.pid)).toBe(false);
    expect(await until(() => !kids.some(alive), 2000)).toBe(true);
    expect(groupAlive(p.svc.pid)).toBe(false);
    expect(unexpected).toEqual([]);
  });

  it("sends SIGKILL to the whole group after the timeout when SIGTERM is ignored", async () => {
    const sup = new Supervisor({ onUnexpectedExit: () => {} });
    const p = startParent(sup, "worker", parentScript({ children: 1, ignoreTerm: "all" }), 500);
    expect(await p.ready).toBe(true);
    const [kid] = p.childPids();
    expect(await sup.stop("worker")).toEqual({ name: "worker", how: "kill" });
    expect(alive(p.svc.pid)).toBe(false);
    expect(await until(() => !alive(kid!), 2000)).toBe(true);
  });

  it("cleans up children that outlive a service whose own process exited on SIGTERM", async () => {
    const sup = new Supervisor({ onUnexpectedExit: () => {} });
    const p = startParent(sup, "dashboard", parentScript({ children: 1, ignoreTerm: "children" }), 500);
    expect(await p.ready).toBe(true);
    const [kid] = p.childPids();
    expect(await sup.stop("dashboard")).toEqual({ name: "dashboard", how: "kill" });
    expect(await until(() => !alive(kid!), 2000)).toBe(true);
  });

  it("reports a service that dies on its own, and not one it was asked to stop", async () => {
    const exits: [string, ExitStatus][] = [];
    const sup = new Supervisor({ onUnexpectedExit: (n, st) => exits.push([n, st]) });
    const crash = sup.start({ name: "worker", file: process.execPath, args: ["-e", "setTimeout(() => process.exit(3), 100)"], env: {} });
    const steady = startParent(sup, "dashboard", parentScript({ children: 0 }));
    await crash.exited;
    await sleep(50);
    expect(exits).toEqual([["worker", { code: 3, signal: null }]]);
    expect(sup.groups().map((g) => g.name)).toEqual(["dashboard"]);
    await sup.stop("dashboard");
    await steady.svc.exited;
    await sleep(50);
    expect(exits).toHaveLength(1);
  });

  it("keeps a service out of the terminal's process group, so a Ctrl-C reaches only the demo", async () => {
    const sup = new Supervisor({ onUnexpectedExit: () => {} });
    const p = startParent(sup, "dashboard", parentScript({ children: 0 }));
    expect(await p.ready).toBe(true);
    const pgid = Number(fs.readFileSync(`/proc/${p.svc.pid}/stat`, "utf8").split(") ")[1]!.split(" ")[2]);
    expect(pgid).toBe(p.svc.pid);
    expect(pgid).not.toBe(Number(fs.readFileSync(`/proc/${process.pid}/stat`, "utf8").split(") ")[1]!.split(" ")[2]));
    await sup.stop("dashboard");
  });
});

describe("the demo's lock file", () => {
  it("refuses a second demo in the same directory while the first lives, naming it", async () => {
    const dir = await tmpDir("lock");
    const first = acquireDemoLock(dir);
    expect(first.ok).toBe(true);
    if (first.ok) first.lock.update({ dashboardPort: 3999 });
    const second = acquireDemoLock(dir);
    expect(second).toMatchObject({ ok: false, holder: { pid: process.pid, dashboardPort: 3999 } });
    if (first.ok) first.lock.release();
    expect(acquireDemoLock(dir).ok).toBe(true);
  });

  it("takes over from a demo that died, and stops the groups it left running (not someone else's)", async () => {
    const dir = await tmpDir("stale");
    // A demo that was killed with SIGKILL: its lock names it and the service groups it started.
    const sup = new Supervisor({ onUnexpectedExit: () => {} });
    const orphan = startParent(sup, "dashboard", parentScript({ children: 1 }));
    expect(await orphan.ready).toBe(true);
    const dead = spawn(process.execPath, ["-e", "0"]);
    await new Promise((r) => dead.once("exit", r));
    fs.writeFileSync(
      path.join(dir, "demo.lock.json"),
      JSON.stringify({
        pid: dead.pid,
        startTime: 1,
        startedAt: new Date().toISOString(),
        groups: [
          { name: "dashboard", pgid: orphan.svc.pid, startTime: startTimeOf(orphan.svc.pid) },
          // A recorded group whose pid now belongs to another process (a different start time): left alone.
          { name: "worker", pgid: process.pid, startTime: 12345 },
        ],
      }),
    );
    const taken = acquireDemoLock(dir);
    expect(taken).toMatchObject({ ok: true, stale: { pid: dead.pid } });
    const said: string[] = [];
    await stopStaleGroups(taken.ok ? taken.stale! : (undefined as never), (s) => said.push(s));
    expect(alive(orphan.svc.pid)).toBe(false);
    expect(await until(() => !orphan.childPids().some(alive), 2000)).toBe(true);
    expect(said).toEqual([expect.stringMatching(/stopped the dashboard a previous demo left running/)]);
    expect(alive(process.pid)).toBe(true);
  });
});
