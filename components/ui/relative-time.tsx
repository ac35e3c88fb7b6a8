"use client";

import { useEffect, useState } from "react";
import { formatAge, formatDateTime } from "@/lib/format";

/**
 * "12s ago" that keeps counting while the page stays open (a server-rendered age is frozen at render time).
 * The exact UTC time is the tooltip. Renders the server's text first, then ticks every second.
 */
export function RelativeTime({ at, suffix = " ago", className }: { at: Date | string; suffix?: string; className?: string }) {
  const iso = typeof at === "string" ? at : at.toISOString();
  const [now, setNow] = useState<Date | null>(null);
  useEffect(() => {
    setNow(new Date());
    const t = setInterval(() => setNow(new Date()), 1000);
    return () => clearInterval(t);
  }, []);
  return (
    <time dateTime={iso} title={formatDateTime(iso)} className={className} suppressHydrationWarning>
      {formatAge(iso, now ?? undefined)}
      {suffix}
    </time>
  );
}
