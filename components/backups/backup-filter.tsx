import type { BackupFilter } from "@/lib/db/queries/backup-pages";

/** Filters for the backups list: a plain GET form, so it works before any script has loaded. */
export function BackupFilterForm({ action, filter }: { action: string; filter: BackupFilter }) {
  const field = "rounded-md border border-slate-300 bg-white px-2 py-1 text-sm";
  return (
    <form method="get" action={action} role="search" aria-label="Filter backups" className="flex flex-wrap items-end gap-2 text-sm">
      <label className="min-w-0">
        <span className="sr-only">Name or label</span>
        <input name="q" defaultValue={filter.q ?? ""} placeholder="Name or label" className={`${field} w-40`} />
      </label>
      <label>
        <span className="sr-only">Status</span>
        <select name="status" defaultValue={filter.status ?? ""} className={field}>
          <option value="">Any status</option>
          {["ok", "running", "failed", "interrupted", "tampered", "missing"].map((s) => (
            <option key={s} value={s}>{s}</option>
          ))}
        </select>
      </label>
      <label>
        <span className="sr-only">Method</span>
        <select name="method" defaultValue={filter.method ?? ""} className={field}>
          <option value="">Dumps and clones</option>
          <option value="dump">Dumps</option>
          <option value="clone">Clones</option>
        </select>
      </label>
      <button className="rounded-md border border-slate-300 bg-white px-3 py-1 hover:bg-slate-50">Filter</button>
    </form>
  );
}
