import { AsyncLocalStorage } from "node:async_hooks";

/**
 * What a long operation reports while it runs. lib/ops knows nothing of jobs or HTTP: lib/jobs passes an
 * implementation that writes the job row and the durable journal.
 */
export interface OpContext {
  log(line: string): void;
  phase(name: string): void;
  progress(done: number, total?: number): void;
  /**
   * Called before each dangerous step runs. lib/jobs writes it to the durable journal first, then honours
   * the test-only LIFEBOAT_CRASH_AT (SIGKILL at that step).
   */
  step(name: string, detail?: Record<string, unknown>): Promise<void>;
  signal?: AbortSignal;
}

export const silentContext: OpContext = {
  log: () => {},
  phase: () => {},
  progress: () => {},
  step: async () => {},
};

/** Test-only: kill this process outright when LIFEBOAT_CRASH_AT names the step, to prove recovery works. */
export function crashPoint(step: string, crashAt: string | undefined): void {
  if (crashAt && crashAt === step) process.kill(process.pid, "SIGKILL");
}

/**
 * The job an operation runs for, carried implicitly through every await (lib/ops/exec.ts reads it): its
 * signal kills every child process the job started, even those an op started without passing ctx.signal.
 */
export interface JobScope {
  signal: AbortSignal;
}

const scope = new AsyncLocalStorage<JobScope>();

export function runInJobScope<T>(s: JobScope, fn: () => Promise<T>): Promise<T> {
  return scope.run(s, fn);
}

export function currentJobScope(): JobScope | undefined {
  return scope.getStore();
}

/** Thrown by ctx.step when the job no longer holds its lease: it was fenced (or taken over) and must stop. */
export class FencedError extends Error {
  constructor(readonly reason: string) {
    super(`the job was stopped before this step: ${reason}`);
    this.name = "FencedError";
  }
}
