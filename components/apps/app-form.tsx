"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useActionState, useEffect, useState } from "react";
import { createAppAction, testConnectionAction, updateAppAction } from "@/app/(dashboard)/apps/actions";
import { submitWithoutReset } from "@/components/forms/submit-without-reset";
import type { ActionResult } from "@/lib/actions/result";

type R = ActionResult<{ slug?: string; summary: string; warning?: string }> | null;

export interface AppFormValues {
  slug: string;
  host: string;
  port: number;
  user: string;
  database: string;
  deployRoot: string;
  backupsDir: string;
  defaultMethod: "dump" | "clone";
  dumpFormat: "custom" | "plain" | "directory";
  cloneStrategy: "file_copy" | "wal_log";
  retention: number;
  staleAfterHours: number;
  stopCommand: string;
  startCommand: string;
  healthUrl: string;
  commandCwd: string;
  commandTimeoutSec: number;
  healthTimeoutSec: number;
  healthPolicy: "undo" | "keep";
  /** Without the password. */
  pgbouncerUrl: string;
}

const input = "w-full rounded-md border border-slate-300 px-2 py-1.5 text-sm";

/** Field names as the form labels them: an error says "Backups directory", never "backupsDir". */
const LABELS: Record<string, string> = {
  slug: "Name",
  deployRoot: "Deploy root",
  url: "Connection URL",
  host: "Host",
  port: "Port",
  user: "User",
  password: "Password",
  database: "Database name",
  backupsDir: "Backups directory",
  defaultMethod: "Default method",
  dumpFormat: "Dump format",
  cloneStrategy: "Clone strategy",
  retention: "Keep automatic backups",
  staleAfterHours: "Warn after (hours)",
  stopCommand: "Stop command",
  startCommand: "Start command",
  healthUrl: "Health URL",
  commandCwd: "Working directory",
  commandTimeoutSec: "Command timeout",
  healthTimeoutSec: "Health timeout",
};

/** Register or edit an app. Saving connects first and says what it found; nothing is saved if it cannot. */
export function AppForm({ mode, values }: { mode: "create" | "edit"; values?: Partial<AppFormValues> }) {
  const router = useRouter();
  const [state, save, saving] = useActionState<R, FormData>((mode === "create" ? createAppAction : updateAppAction), null);
  const [testState, test, testing] = useActionState<R, FormData>(testConnectionAction, null);
  useEffect(() => {
    if (mode === "create" && state?.status === "ok" && state.data.slug) router.push(`/apps/${state.data.slug}`);
  }, [mode, state, router]);
  // Field errors of whichever button was pressed last: saving and testing are checked by the same rules.
  const [lastIntent, setLastIntent] = useState<"save" | "test">("save");
  const last = lastIntent === "test" ? testState : state;
  const err = (f: string) => (last?.status === "invalid" ? last.fieldErrors[f]?.join(", ") : undefined);
  const v = values ?? {};

  // Help and errors sit outside the <label> so the field's accessible name is just its label.
  const field = (name: string, label: string, el: React.ReactNode, help?: string) => (
    <div className="text-sm">
      <label className="block">
        <span className="mb-1 block font-medium text-slate-700">{label}</span>
        {el}
      </label>
      {help && <span className="mt-0.5 block text-xs text-slate-500">{help}</span>}
      {err(name) && <span className="mt-0.5 block text-xs text-red-700">{err(name)}</span>}
    </div>
  );

  return (
    <form
      onSubmit={submitWithoutReset((submitter) => {
        const intent = submitter?.getAttribute("value") === "test" ? "test" : "save";
        setLastIntent(intent);
        return intent === "test" ? test : save;
      })}
      className="space-y-6"
      aria-label={mode === "create" ? "Register app" : "App settings"}
    >
      <fieldset className="grid gap-4 rounded-lg border border-slate-200 bg-white p-4 sm:grid-cols-2">
        <legend className="px-1 text-sm font-semibold text-slate-900">App</legend>
        {field("slug", "Name", <input name="slug" defaultValue={v.slug} readOnly={mode === "edit"} required className={input} placeholder="shop" />, "lower-case letters, digits and '-'")}
        {field("deployRoot", "Deploy root (optional)", <input name="deployRoot" defaultValue={v.deployRoot} className={input} placeholder="/opt/shop" />, "an existing directory holding releases/ and current → releases/<name>; symlinks are resolved")}
      </fieldset>

      <fieldset className="grid gap-4 rounded-lg border border-slate-200 bg-white p-4 sm:grid-cols-2">
        <legend className="px-1 text-sm font-semibold text-slate-900">Database</legend>
        <div className="sm:col-span-2">
          {field("url", "Connection URL (or fill in the parts below)", <input name="url" className={input} placeholder="postgres://user:password@host:5432/database" autoComplete="off" />, "parsed into the fields below; never shown again")}
        </div>
        {field("host", "Host", <input name="host" defaultValue={v.host} className={input} placeholder="127.0.0.1" />)}
        {field("port", "Port", <input name="port" defaultValue={v.port ?? 5432} inputMode="numeric" className={input} />)}
        {field("user", "User", <input name="user" defaultValue={v.user} className={input} autoComplete="off" />)}
        {field(
          "password",
          "Password",
          <input name="password" type="password" className={input} autoComplete="new-password" placeholder={mode === "edit" ? "leave empty to keep the stored one" : ""} />,
          mode === "edit"
            ? "stored encrypted; never sent back to the browser. The stored one is used only while host, port, user and database stay the same."
            : "stored encrypted; never sent back to the browser",
        )}
        {field("database", "Database name", <input name="database" defaultValue={v.database} className={input} />)}
        <div className="sm:col-span-2">
          {field(
            "pgbouncerUrl",
            "PgBouncer admin console (optional)",
            <input name="pgbouncerUrl" defaultValue={v.pgbouncerUrl} className={input} placeholder="postgres://admin:password@127.0.0.1:6432/shop" autoComplete="off" />,
            "when the app connects through PgBouncer: a user in its admin_users, and the database's name in its [databases] section. Swaps then PAUSE it, so clients wait instead of failing. Without a password the stored one is kept (same host, port and user); empty removes it.",
          )}
        </div>
      </fieldset>

      <fieldset className="grid gap-4 rounded-lg border border-slate-200 bg-white p-4 sm:grid-cols-3">
        <legend className="px-1 text-sm font-semibold text-slate-900">Backups</legend>
        {field("backupsDir", "Backups directory", <input name="backupsDir" defaultValue={v.backupsDir} className={input} placeholder="<deploy root>/backups" />, "an existing directory only Lifeboat's user can write to; symlinks are resolved")}
        {field(
          "defaultMethod",
          "Default method",
          <select name="defaultMethod" defaultValue={v.defaultMethod ?? "dump"} className={input}>
            <option value="dump">pg_dump file</option>
            <option value="clone">server-side clone</option>
          </select>,
        )}
        {field(
          "dumpFormat",
          "Dump format",
          <select name="dumpFormat" defaultValue={v.dumpFormat ?? "custom"} className={input}>
            <option value="custom">custom (.dump, compressed, verified by pg_restore)</option>
            <option value="directory">directory (.dir, pg_dump -j: parallel dump and restore, for many tables)</option>
            <option value="plain">plain SQL (.sql, for compatibility)</option>
          </select>,
        )}
        {field(
          "cloneStrategy",
          "Clone strategy",
          <select name="cloneStrategy" defaultValue={v.cloneStrategy ?? "file_copy"} className={input}>
            <option value="file_copy">FILE_COPY (fast; checkpoints)</option>
            <option value="wal_log">WAL_LOG (PostgreSQL default; writes all to WAL)</option>
          </select>,
        )}
        {field("retention", "Keep automatic backups", <input name="retention" defaultValue={v.retention ?? 5} inputMode="numeric" className={input} />, "per method; manual, named and pinned are kept")}
        {field("staleAfterHours", "Warn when last good backup is older than (hours)", <input name="staleAfterHours" defaultValue={v.staleAfterHours ?? 24} inputMode="numeric" className={input} />)}
      </fieldset>

      <fieldset className="grid gap-4 rounded-lg border border-slate-200 bg-white p-4 sm:grid-cols-2">
        <legend className="px-1 text-sm font-semibold text-slate-900">Stopping and starting the app (for rollbacks)</legend>
        {field("stopCommand", "Stop command", <input name="stopCommand" defaultValue={v.stopCommand} className={`${input} font-mono`} placeholder='["docker","compose","stop"]' />, "a JSON array of arguments; no shell")}
        {field("startCommand", "Start command", <input name="startCommand" defaultValue={v.startCommand} className={`${input} font-mono`} placeholder='["docker","compose","up","-d"]' />)}
        {field("healthUrl", "Health URL (optional)", <input name="healthUrl" defaultValue={v.healthUrl} className={input} placeholder="http://127.0.0.1:3000/health" />)}
        {field("commandCwd", "Working directory (optional)", <input name="commandCwd" defaultValue={v.commandCwd} className={`${input} font-mono`} placeholder="/opt/shop/current" />, "where the stop and start commands run; an existing directory")}
        {field("commandTimeoutSec", "Command timeout (s)", <input name="commandTimeoutSec" defaultValue={v.commandTimeoutSec ?? 120} inputMode="numeric" className={input} />)}
        <input type="hidden" name="healthTimeoutSec" value={v.healthTimeoutSec ?? 30} />
        {field("healthPolicy", "When the health check fails after a rollback or switch", <select name="healthPolicy" defaultValue={v.healthPolicy ?? "undo"} className={input}><option value="undo">Undo it at once (recommended)</option><option value="keep">Keep it and alert</option></select>, "the undo is health-checked too and is never undone again")}
      </fieldset>

      {/* Only the answer to the button pressed last: an older error never sits under a newer "Connected". */}
      {last?.status === "ok" && (
        <p role="status" className={`rounded-md border p-3 text-sm ${lastIntent === "save" ? "border-emerald-300 bg-emerald-50 text-emerald-900" : "border-sky-300 bg-sky-50 text-sky-900"}`}>
          {lastIntent === "save" ? "Saved. " : ""}
          {last.data.summary}
        </p>
      )}
      {last?.status === "ok" && last.data.warning && (
        <p role="alert" className="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900" data-testid="backups-dir-warning">
          {last.data.warning}
        </p>
      )}
      {last && last.status !== "ok" && (
        <p className="rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-800" data-testid="form-error">
          {last.status === "invalid"
            ? // The details are under each field; here only which ones, by their labels (and errors without a field).
              `Nothing was done. Fix ${Object.keys(last.fieldErrors).filter((k) => k !== "_form").map((k) => LABELS[k] ?? k).join(", ") || "the form"}.${last.fieldErrors._form ? ` ${last.fieldErrors._form.join(" ")}` : ""}`
            : last.message}
        </p>
      )}

      <div className="flex gap-2">
        <button disabled={saving} className="rounded-md bg-sky-700 px-4 py-2 text-sm font-semibold text-white hover:bg-sky-800 disabled:opacity-60">
          {saving ? "Connecting…" : mode === "create" ? "Test connection and save" : "Test connection and save changes"}
        </button>
        <button name="intent" value="test" disabled={testing} className="rounded-md border border-slate-300 bg-white px-4 py-2 text-sm font-medium hover:bg-slate-50">
          {testing ? "Testing…" : "Test connection only"}
        </button>
        <Link href="/apps" className="px-3 py-2 text-sm text-slate-600 hover:underline">
          Cancel
        </Link>
      </div>
    </form>
  );
}
