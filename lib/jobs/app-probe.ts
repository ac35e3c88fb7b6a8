import { listProbeTargets, recordProbe } from "@/lib/db/queries/app-liveness";
import { checkHealth } from "@/lib/ops/app-control";

// App liveness: the worker asks each app's health URL on an interval (LIFEBOAT_APP_PROBE_MS) whether it is
// up, and records up/down with since-when (app_liveness). One quick attempt per probe, no retries: the next
// probe is the retry, and a slow answer counts as down (an on-call person would call it that too).

const PROBE_TIMEOUT_MS = 5000;

/** One probe of `url`: up on a 2xx within the timeout. */
export async function probeApp(url: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<{ up: boolean; error: string | null; status: number | null }> {
  try {
    const r = await checkHealth(url, timeoutMs, { intervalMs: timeoutMs + 1 });
    return { up: r.ok, error: r.ok ? null : (r.error ?? `answered ${r.status}`), status: r.status ?? null };
  } catch (e) {
    return { up: false, error: e instanceof Error ? e.message : String(e), status: null };
  }
}

/** Probes every app with a health URL, in parallel. Never rejects. */
export async function probeAllApps(log: (line: string) => void): Promise<void> {
  try {
    const targets = await listProbeTargets();
    await Promise.all(
      targets.map(async (t) => {
        const p = await probeApp(t.healthUrl);
        const prev = await recordProbe(t.id, p);
        if (prev !== null && prev !== (p.up ? "up" : "down")) log(`app ${t.slug} is ${p.up ? "up again" : `DOWN (${p.error})`}`);
      }),
    );
  } catch (e) {
    log(`app probe: ${e instanceof Error ? e.message : String(e)}`);
  }
}
