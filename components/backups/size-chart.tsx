import { formatBytes, formatDateTime } from "@/lib/format";

interface Point {
  createdAt: Date;
  sizeBytes: number;
  method: "dump" | "clone";
}

/** Backup size over time (one dot per backup, by method) and the space all backups use. Plain SVG. */
export function SizeChart({ points, totals }: { points: Point[]; totals: { dump: number; clone: number } }) {
  const W = 560;
  const H = 140;
  const pad = { l: 56, r: 12, t: 10, b: 22 };
  const sorted = [...points].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  const total = totals.dump + totals.clone;
  if (sorted.length === 0) {
    return <p className="text-sm text-slate-500">No completed backups yet — the chart appears after the first one.</p>;
  }
  const t0 = sorted[0]!.createdAt.getTime();
  const t1 = Math.max(sorted[sorted.length - 1]!.createdAt.getTime(), t0 + 1);
  const maxY = Math.max(...sorted.map((p) => p.sizeBytes), 1);
  const x = (t: number) => pad.l + ((t - t0) / (t1 - t0)) * (W - pad.l - pad.r);
  const y = (v: number) => H - pad.b - (v / maxY) * (H - pad.t - pad.b);
  const line = (m: "dump" | "clone") =>
    sorted
      .filter((p) => p.method === m)
      .map((p) => `${x(p.createdAt.getTime()).toFixed(1)},${y(p.sizeBytes).toFixed(1)}`)
      .join(" ");

  return (
    <figure className="space-y-2">
      <svg viewBox={`0 0 ${W} ${H}`} className="w-full max-w-2xl" role="img" aria-label="Backup size over time">
        <line x1={pad.l} x2={W - pad.r} y1={H - pad.b} y2={H - pad.b} className="stroke-slate-300" />
        <line x1={pad.l} x2={pad.l} y1={pad.t} y2={H - pad.b} className="stroke-slate-300" />
        <text x={pad.l - 6} y={pad.t + 8} textAnchor="end" className="fill-slate-500 text-[10px]">
          {formatBytes(maxY)}
        </text>
        <text x={pad.l - 6} y={H - pad.b} textAnchor="end" className="fill-slate-500 text-[10px]">
          0
        </text>
        <text x={pad.l} y={H - 6} className="fill-slate-500 text-[10px]">
          {formatDateTime(new Date(t0)).slice(0, 16)}
        </text>
        <text x={W - pad.r} y={H - 6} textAnchor="end" className="fill-slate-500 text-[10px]">
          {formatDateTime(new Date(t1)).slice(0, 16)}
        </text>
        <polyline points={line("dump")} fill="none" className="stroke-sky-600" strokeWidth={1.5} />
        <polyline points={line("clone")} fill="none" className="stroke-violet-600" strokeWidth={1.5} />
        {sorted.map((p, i) => (
          <circle key={i} cx={x(p.createdAt.getTime())} cy={y(p.sizeBytes)} r={3} className={p.method === "dump" ? "fill-sky-600" : "fill-violet-600"}>
            <title>{`${p.method} · ${formatBytes(p.sizeBytes)} · ${formatDateTime(p.createdAt)}`}</title>
          </circle>
        ))}
      </svg>
      <figcaption className="flex flex-wrap gap-4 text-xs text-slate-600">
        <span><span className="mr-1 inline-block size-2 rounded-full bg-sky-600" />dump files: {formatBytes(totals.dump)}</span>
        <span><span className="mr-1 inline-block size-2 rounded-full bg-violet-600" />clone databases: {formatBytes(totals.clone)}</span>
        <span className="font-medium text-slate-800">total space used by backups: {formatBytes(total)}</span>
      </figcaption>
    </figure>
  );
}
