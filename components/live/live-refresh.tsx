"use client";

import { useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect, useRef } from "react";

/** How often an open page asks whether anything changed. */
export const LIVE_POLL_MS = 2000;

async function fetchToken(url: string): Promise<string> {
  const res = await fetch(url, { cache: "no-store" });
  const body = await res.json().catch(() => null);
  if (!res.ok || body?.status !== "ok") throw new Error(body?.message ?? `HTTP ${res.status}`);
  return String(body.data.token);
}

/**
 * Keeps a server-rendered page live: polls a state endpoint's version token (app/api/apps/state,
 * app/api/apps/[app]/state) and re-renders the page on the server when it changes, so something started
 * from the CLI, the API or another browser shows within a poll. Renders nothing but a hidden marker.
 */
export function LiveRefresh({ app }: { app?: string }) {
  const router = useRouter();
  const url = app ? `/api/apps/${encodeURIComponent(app)}/state` : "/api/apps/state";
  const { data, isError } = useQuery({
    queryKey: ["live-state", url],
    queryFn: () => fetchToken(url),
    refetchInterval: LIVE_POLL_MS,
    refetchIntervalInBackground: false,
  });
  const seen = useRef<string | null>(null);
  useEffect(() => {
    if (!data) return;
    if (seen.current !== null && seen.current !== data) router.refresh();
    seen.current = data;
  }, [data, router]);
  return <span hidden data-testid="live-refresh" data-token={data ?? ""} data-stale={isError ? "true" : "false"} />;
}
