import type { BackupView } from "@/lib/db/queries/backups";
import { Badge } from "@/components/ui/badge";

/**
 * A dump that the role Lifeboat restores as could not restore (lib/ops/restorability.ts): a badge with
 * the reason and the fix, so nobody finds out during a restore. Nothing when restorable or not checked.
 */
export function RestoreBlockers({ blockers }: { blockers: BackupView["restoreBlockers"] }) {
  if (!blockers?.length) return null;
  return (
    <div className="mt-1 max-w-xs space-y-1 text-xs" data-testid="restore-blockers">
      <Badge tone="red">not restorable by this role</Badge>
      {blockers.map((b) => (
        <p key={b.name} className="text-red-800">
          {b.reason}. <span className="text-slate-700">Fix: {b.fix}.</span>
        </p>
      ))}
    </div>
  );
}
