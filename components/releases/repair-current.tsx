"use client";

import { useState } from "react";
import { RollbackDialog } from "@/components/rollback/rollback-dialog";

/**
 * `current` points outside releases/: pick a valid, complete release and point `current` at it. The switch is
 * the ordinary release switch (its plan, the typed confirmation, an atomic rename of the link, a job).
 */
export function RepairCurrent({ app, releases }: { app: string; releases: string[] }) {
  const [release, setRelease] = useState(releases[0] ?? "");
  if (releases.length === 0) {
    return <p className="text-sm">There is no complete release with a valid name to point it at. Deploy one, then come back.</p>;
  }
  return (
    <div className="flex flex-wrap items-end gap-2">
      <label className="text-sm">
        <span className="mb-1 block font-medium">Point current at</span>
        <select value={release} onChange={(e) => setRelease(e.target.value)} className="rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm text-slate-900">
          {releases.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      </label>
      <RollbackDialog key={release} app={app} mode="switch_release" label="Repair current…" tone="neutral" release={release} />
    </div>
  );
}
