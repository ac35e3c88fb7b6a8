"use client";

import { useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useRef } from "react";

/** How often an open page asks whether anything changed. */
export const LIVE_POLL_MS = 2000;

async function fetchToken(url: string): Promise<string> {
  const res = await fetch(url, { cache: "no-store" });
  const body = await res.json().catch(() => null);
  if (!res.ok || body?.status !== "ok") throw new Error(body?.message ?? `HTTP ${res.status}`);
  return String(body.data.token);
}

/** A dialog is open: re-rendering the page could unmount it (its row's button may go away) mid-job. */
const dialogOpen = () => document.querySelector('[role="dialog"], dialog[open]') !== null;

/**
 * Keeps a server-rendered page live: polls a state endpoint's version token (app/api/apps/state,
 * app/api/apps/[app]/state) and re-renders the page on the server when it changes, so something started
 * from the CLI, the API or another browser shows within a poll. While a dialog is open the refresh waits
 * until it closes (the dialog follows its own job). Renders nothing but a hidden marker.
 */
export function LiveRefresh({ app }: { app?: string }) {
  const router = useRouter();
  const url = app ? `/api/apps/${encodeURIComponent(app)}/state` : "/api/apps/state";
  const seen = useRef<string | null>(null);
  const { data, isError } = useQuery({
    queryKey: ["live-state", url],
    queryFn: async () => {
      const token = await fetchToken(url);
      if (seen.current !== null && seen.current !== token) {
        if (dialogOpen()) return token; // `seen` stays behind: the first poll after the dialog closes refreshes
        router.refresh();
      }
      seen.current = token;
      return token;
    },
    refetchInterval: LIVE_POLL_MS,
    refetchIntervalInBackground: false,
  });
  return <span hidden data-testid="live-refresh" data-token={data ?? ""} data-stale={isError ? "true" : "false"} />;
}
