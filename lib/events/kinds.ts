/**
 * What can happen to an app that a notification rule may name. Text in the database (app_events.kind), so a new
 * kind is one line here. Keep the labels short: they are shown in rule pickers and delivery logs.
 */
export const APP_EVENT_KINDS = {
  "backup.failed": "Backup failed",
  "backup.overdue": "No verified backup in time",
  "backup.tampered": "Tampered backup found",
  "backup.missing": "Backup file missing",
  "rollback.started": "Rollback started",
  "rollback.finished": "Rollback finished",
  "rollback.failed": "Rollback failed",
  "health.failed": "Health check failed",
  "app.down": "App down",
  "app.up": "App up again",
  "release.started": "Release started",
  "release.finished": "Release finished",
  "release.failed": "Release failed",
  "drill.failed": "Restore drill failed",
  "drill.ok": "Restore drill passed",
} as const;

export type AppEventKind = keyof typeof APP_EVENT_KINDS;

export function isAppEventKind(s: string): s is AppEventKind {
  return Object.hasOwn(APP_EVENT_KINDS, s);
}
