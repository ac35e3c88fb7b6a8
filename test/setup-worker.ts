// Tests that call start* need a worker: one runs inside the test process (lib/jobs/worker.ts), started when a
// test file queues its first job. Files that run worker processes of their own set LIFEBOAT_WORKER_INPROCESS=0.
import { setBeforeEnqueue } from "@/lib/jobs/runner";

setBeforeEnqueue(async () => {
  if (process.env.LIFEBOAT_WORKER_INPROCESS !== "1") return;
  const { ensureInProcessWorker } = await import("@/lib/jobs/worker");
  await ensureInProcessWorker();
});
