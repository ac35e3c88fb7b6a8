import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { OpContext } from "./context";
import { defineSteps, unknownSteps } from "./journal";
import { swapSteps } from "./swap";

const steps = defineSteps({
  begin: ["demo:begin", z.object({ name: z.string(), n: z.number() })],
  end: ["demo:end", z.object({ name: z.string() })],
});

function recorder() {
  const written: { step: string; detail: unknown }[] = [];
  const ctx: OpContext = { log: () => {}, phase: () => {}, progress: () => {}, step: async (step, detail) => void written.push({ step, detail }) };
  return { ctx, written };
}

describe("typed journal steps", () => {
  it("writes the durable name with the parsed detail, and reads it back typed", async () => {
    const { ctx, written } = recorder();
    await steps.begin(ctx, { name: "a", n: 1 });
    await steps.begin(ctx, { name: "b", n: 2 });
    await steps.end(ctx, { name: "b" });
    expect(written.map((w) => w.step)).toEqual(["demo:begin", "demo:begin", "demo:end"]);
    const log = steps.read(written);
    expect(log.problems).toEqual([]);
    expect(log.last("begin")).toEqual({ name: "b", n: 2 });
    expect(log.all("begin").map((d) => d.n)).toEqual([1, 2]);
    expect(log.has("end")).toBe(true);
  });

  it("refuses to write a detail that does not match its schema (before the step runs)", async () => {
    const { ctx, written } = recorder();
    await expect(steps.begin(ctx, { name: "a", n: "one" } as never)).rejects.toThrow();
    await expect(swapSteps.rename(ctx, { live: "shop", staging: "x; DROP", preRollbackName: "p" })).rejects.toThrow();
    expect(written).toEqual([]);
  });

  it("reports a malformed detail instead of reading it as absent", () => {
    const log = swapSteps.read([
      { step: "swap:disallow", detail: { live: "shop", staging: "shop_staging_20260101_000000", preRollbackName: "shop_pre_rollback_20260101_000000" } },
      { step: "swap:rename", detail: { live: "shop", staging: 42 } },
    ]);
    expect(log.problems).toHaveLength(1);
    expect(log.problems[0]).toMatch(/journal step swap:rename has a malformed detail \(staging: .*preRollbackName: /);
    expect(log.has("rename")).toBe(false);
    expect(log.written("rename")).toBe(true);
    expect(log.last("disallow")?.live).toBe("shop");
  });

  it("leaves other operations' steps to them, and names steps nobody declares", () => {
    const journal = [
      { step: "demo:begin", detail: { name: "a", n: 1 } },
      { step: "swap:rename", detail: {} },
      { step: "mystery:step", detail: {} },
    ];
    expect(steps.read(journal).problems).toEqual([]);
    expect(unknownSteps(journal, [steps, swapSteps])).toEqual([expect.stringMatching(/^journal step mystery:step is not one this kind of job writes/)]);
  });
});
