import { listProbeTargets, recordProbe } from "@/lib/db/queries/app-liveness";
import { emitAppEvent } from "@/lib/events/emit";
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
        if (await recordProbeAndAnnounce(t.id, t.slug, p)) log(`app ${t.slug} is ${p.up ? "up again" : `DOWN (${p.error})`}`);
      }),
    );
  } catch (e) {
    log(`app probe: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * Records a probe; when it changes the app's state (up → down, down → up) emits app.down / app.up and says so.
 * The first probe of an app only sets its state: nothing changed that anyone was told about.
 */
export async function recordProbeAndAnnounce(appId: number, slug: string, p: Awaited<ReturnType<typeof probeApp>>): Promise<boolean> {
  const prev = await recordProbe(appId, p);
  if (prev === null || prev === (p.up ? "up" : "down")) return false;
  await emitAppEvent(
    p.up
      ? { appId, kind: "app.up", summary: `${slug} is up again.`, details: { status: p.status } }
      : { appId, kind: "app.down", summary: `${slug} is down: ${p.error ?? "no answer"}.`, details: { status: p.status, error: p.error } },
  );
  return true;
}
