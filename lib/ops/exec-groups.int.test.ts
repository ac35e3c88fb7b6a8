import { spawn } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { findProcesses, waitFor } from "@/test/fixtures/workers";
import { runInJobScope } from "./context";
import { runUnchecked } from "./exec";

// Child processes die with their job: a whole process group on abort, even when the op did not pass the
// signal (the job scope carries it), and with the process that started them even when it is SIGKILLed.
const ROOT = path.resolve(import.meta.dirname, "../..");
const marker = () => `${300 + Math.floor(Math.random() * 1000)}.${Math.floor(Math.random() * 1000)}`;

describe("child processes", () => {
  it("an abort kills the child's whole process group (a shell and what it started)", async () => {
    const secs = marker();
    const stop = new AbortController();
    const done = runUnchecked("/bin/sh", ["-c", `/bin/sleep ${secs} & /bin/sleep ${secs}; wait`], { signal: stop.signal });
    await waitFor(async () => (await findProcesses("sleep", secs)).length >= 2, 10_000, () => "the sleeps never started");
    stop.abort();
    await done;
    await waitFor(async () => (await findProcesses("sleep", secs)).length === 0, 10_000, () => "a grandchild survived the abort");
  });

  it("a job's signal reaches children its op started without passing it", async () => {
    const secs = marker();
    const stop = new AbortController();
    const done = runInJobScope({ signal: stop.signal }, () => runUnchecked("/bin/sleep", [secs]));
    await waitFor(async () => (await findProcesses("sleep", secs)).length === 1, 10_000, () => "the sleep never started");
    stop.abort();
    const r = await done;
    expect(r.code).not.toBe(0);
    expect(await findProcesses("sleep", secs)).toEqual([]);
  });

  it("children die with a parent killed by SIGKILL", async () => {
    const secs = marker();
    const child = spawn(process.execPath, ["--import", "tsx", "test/fixtures/exec-child.ts", secs], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
    await waitFor(async () => (await findProcesses("sleep", secs)).length === 1, 30_000, () => "the sleep never started");
    child.kill("SIGKILL");
    await waitFor(async () => (await findProcesses("sleep", secs)).length === 0, 10_000, () => "the sleep outlived its parent");
  });
});
