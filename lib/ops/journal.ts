import { z } from "zod";
import type { OpContext } from "./context";

// Typed journal steps. Each operation declares its steps once — a durable name plus a zod schema of its
// detail — beside the code that writes them, writes them through ctx.step (lib/ops/context.ts) with the
// helper below, and reads them back in its reconcile() with the same schemas. A detail that does not parse
// (an older build, a hand-edited row, a bug) is reported as a problem, never silently read as "absent".

/** One journal row as recovery reads it (lib/db/queries/jobs.ts listJournal). */
export interface JournalEntry {
  step: string;
  detail: unknown;
}

type Detail = z.ZodType<Record<string, unknown>>;
type StepDefs = Record<string, readonly [name: string, detail: Detail]>;

/** What one operation's steps say, parsed: the entries in order, and what could not be read. */
export interface StepLog<D extends StepDefs> {
  entries: { [K in keyof D]: { key: K; step: string; detail: z.infer<D[K][1]> } }[keyof D][];
  /** The detail of the last entry of this step, if it was written. */
  last<K extends keyof D>(key: K): z.infer<D[K][1]> | undefined;
  all<K extends keyof D>(key: K): z.infer<D[K][1]>[];
  has(key: keyof D): boolean;
  /** Whether a row of this step exists at all, parsed or not. */
  written(key: keyof D): boolean;
  /** Sentences: "journal step swap:rename has a malformed detail (…)". */
  problems: string[];
}

export type Steps<D extends StepDefs> = {
  [K in keyof D]: (ctx: OpContext, detail: z.input<D[K][1]>) => Promise<void>;
} & {
  /** The durable step names this operation writes (LIFEBOAT_CRASH_AT uses them). */
  readonly names: readonly string[];
  read(journal: readonly JournalEntry[]): StepLog<D>;
};

/**
 * Declares an operation's steps: `const swapSteps = defineSteps({ rename: ["swap:rename", schema] })`,
 * then `await swapSteps.rename(ctx, detail)` writes it (parsed first: a bad detail throws before the step
 * runs) and `swapSteps.read(journal).last("rename")` reads it back typed.
 */
export function defineSteps<const D extends StepDefs>(defs: D): Steps<D> {
  const byName = new Map<string, keyof D>();
  for (const key of Object.keys(defs) as (keyof D)[]) byName.set(defs[key]![0], key);
  const writers: Record<string, unknown> = {};
  for (const key of Object.keys(defs)) {
    const [name, schema] = defs[key]!;
    writers[key] = async (ctx: OpContext, detail: unknown) => ctx.step(name, schema.parse(detail));
  }
  return {
    ...writers,
    names: [...byName.keys()],
    read(journal: readonly JournalEntry[]): StepLog<D> {
      const entries: StepLog<D>["entries"] = [];
      const problems: string[] = [];
      for (const row of journal) {
        const key = byName.get(row.step);
        if (key === undefined) continue;
        const parsed = defs[key]![1].safeParse(row.detail ?? {});
        if (parsed.success) entries.push({ key, step: row.step, detail: parsed.data } as StepLog<D>["entries"][number]);
        else problems.push(`journal step ${row.step} has a malformed detail (${describeIssues(parsed.error)}); it was not used`);
      }
      const all = <K extends keyof D>(k: K) => entries.filter((e) => e.key === k).map((e) => e.detail as z.infer<D[K][1]>);
      return {
        entries,
        problems,
        all,
        last: (k) => all(k).at(-1),
        has: (k) => entries.some((e) => e.key === k),
        written: (k) => journal.some((row) => row.step === defs[k]![0]),
      };
    },
  } as Steps<D>;
}

/** Journal steps that none of `known` declares (reported by recovery: a step nobody reconciles). */
export function unknownSteps(journal: readonly JournalEntry[], known: readonly { readonly names: readonly string[] }[]): string[] {
  const names = new Set(known.flatMap((s) => s.names));
  return [...new Set(journal.map((j) => j.step).filter((n) => !names.has(n)))].map(
    (n) => `journal step ${n} is not one this kind of job writes; nothing reconciled it — check by hand`,
  );
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join(".") || "detail"}: ${i.message}`)
    .join("; ");
}

/** A database name as journaled: validated again when read (it goes into SQL as a quoted identifier). */
export const dbNameField = z.string().regex(/^[a-z_][a-z0-9_]*$/).max(63);
