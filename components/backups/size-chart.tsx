import type { SizeBucket } from "@/lib/db/queries/backup-pages";
import { formatBytes, formatDateTime } from "@/lib/format";

/**
 * Y scale: logarithmic when sizes differ by more than 8× (MB dumps beside GB clones — at 17× a linear scale drew
 * the demo's 1.5 MB dumps flat on the axis beside its 26 MB clone), else linear from 0.
 */
const LOG_ABOVE = 8;

export function sizeScale(values: number[], top: number, bottom: number) {
  const max = Math.max(...values, 1);
  const min = Math.max(Math.min(...values), 1);
  const log = max / min > LOG_ABOVE;
  if (!log) return { log, ticks: [0, max], y: (v: number) => bottom - (v / max) * (bottom - top) };
  const lo = Math.log10(min) - 0.05;
  const hi = Math.log10(max) + 0.05;
  const ticks = [min, Math.sqrt(min * max), max];
  return { log, ticks, y: (v: number) => bottom - ((Math.log10(Math.max(v, 1)) - lo) / (hi - lo)) * (bottom - top) };
}

/** Backup size over time (largest backup per time slice, by method) and the space all backups use. Plain SVG. */
export function SizeChart({ points, totals }: { points: SizeBucket[]; totals: { dump: number; clone: number } }) {
  const W = 560;
  const H = 150;
  const pad = { l: 62, r: 12, t: 10, b: 22 };
  const total = totals.dump + totals.clone;
  if (points.length === 0) {
    return <p className="text-sm text-slate-500">No completed backups yet — the chart appears after the first one.</p>;
  }
  const t0 = Math.min(...points.map((p) => p.at.getTime()));
  const t1 = Math.max(...points.map((p) => p.at.getTime()), t0 + 1);
  const x = (t: number) => pad.l + ((t - t0) / (t1 - t0)) * (W - pad.l - pad.r);
  const scale = sizeScale(points.map((p) => p.maxBytes), pad.t, H - pad.b);
  const line = (m: "dump" | "clone") =>
    points
      .filter((p) => p.method === m)
      .map((p) => `${x(p.at.getTime()).toFixed(1)},${scale.y(p.maxBytes).toFixed(1)}`)
      .join(" ");

  return (
    <figure className="space-y-2">
      <svg viewBox={`0 0 ${W} ${H}`} className="w-full max-w-2xl" role="img" aria-label={`Backup size over time${scale.log ? " (logarithmic scale)" : ""}`} data-scale={scale.log ? "log" : "linear"}>
        <line x1={pad.l} x2={W - pad.r} y1={H - pad.b} y2={H - pad.b} className="stroke-slate-300" />
        <line x1={pad.l} x2={pad.l} y1={pad.t} y2={H - pad.b} className="stroke-slate-300" />
        {scale.ticks.map((v, i) => (
          <g key={i}>
            <line x1={pad.l - 3} x2={W - pad.r} y1={scale.y(v)} y2={scale.y(v)} className="stroke-slate-100" />
            <text x={pad.l - 6} y={scale.y(v) + 3} textAnchor="end" className="fill-slate-500 text-[10px]">
              {v === 0 ? "0" : formatBytes(v)}
            </text>
          </g>
        ))}
        <text x={pad.l} y={H - 6} className="fill-slate-500 text-[10px]">
          {formatDateTime(new Date(t0)).slice(0, 16)}
        </text>
        <text x={W - pad.r} y={H - 6} textAnchor="end" className="fill-slate-500 text-[10px]">
          {formatDateTime(new Date(t1)).slice(0, 16)}
        </text>
        {(["dump", "clone"] as const).map((m) => (
          <polyline key={m} points={line(m)} fill="none" className={m === "dump" ? "stroke-sky-600" : "stroke-violet-600"} strokeWidth={1.5} />
        ))}
        {/* A dot (with its size on hover) per slice while they are few; beyond that the lines carry it. */}
        {points.length <= 40 && points.map((p, i) => (
          <circle key={i} cx={x(p.at.getTime())} cy={scale.y(p.maxBytes)} r={3} className={p.method === "dump" ? "fill-sky-600" : "fill-violet-600"}>
            <title>{`${p.method} · ${formatBytes(p.maxBytes)}${p.count > 1 ? ` (largest of ${p.count})` : ""} · ${formatDateTime(p.at)}`}</title>
          </circle>
        ))}
      </svg>
      <figcaption className="flex flex-wrap gap-x-4 gap-y-1 text-xs text-slate-600">
        {scale.log && <span>Logarithmic scale: small dumps and large clones both stay readable.</span>}
        {(["dump", "clone"] as const).map((m) => (
          <span key={m}>
            <span className={`mr-1 inline-block size-2 rounded-full ${m === "dump" ? "bg-sky-600" : "bg-violet-600"}`} />
            {m === "dump" ? "dump files" : "clone databases"}: {formatBytes(totals[m])}
          </span>
        ))}
        <span className="font-medium text-slate-800">total space used by backups: {formatBytes(total)}</span>
      </figcaption>
    </figure>
  );
}
