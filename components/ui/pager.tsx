import Link from "next/link";

/** Previous / next links for a server-paged list; keeps the other query parameters (filters) as they are. */
export function Pager(props: { basePath: string; params: Record<string, string | undefined>; page: number; pages: number; total: number; noun: string }) {
  if (props.pages <= 1) return <p className="text-xs text-slate-500">{props.total} {props.total === 1 ? props.noun.replace(/s$/, "") : props.noun}</p>;
  const href = (page: number) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(props.params)) if (v) q.set(k, v);
    if (page > 1) q.set("page", String(page));
    const s = q.toString();
    return `${props.basePath}${s ? `?${s}` : ""}`;
  };
  const link = "rounded-md border border-slate-300 bg-white px-3 py-1 hover:bg-slate-50";
  const off = "rounded-md border border-slate-200 px-3 py-1 text-slate-400";
  return (
    <nav aria-label="Pages" className="flex flex-wrap items-center gap-2 text-sm">
      {props.page > 1 ? <Link href={href(props.page - 1)} className={link} rel="prev">← Newer</Link> : <span className={off}>← Newer</span>}
      <span className="text-slate-600" data-testid="pager-status">
        Page {props.page} of {props.pages} · {props.total} {props.noun}
      </span>
      {props.page < props.pages ? <Link href={href(props.page + 1)} className={link} rel="next">Older →</Link> : <span className={off}>Older →</span>}
    </nav>
  );
}
