"use client";

import Link from "next/link";
import { Alert } from "@/components/ui/alert";
import { Button, buttonClasses } from "@/components/ui/button";
import { FORBIDDEN_DIGEST_PREFIX, isRole, roleLabels } from "@/lib/auth/roles";

/** What a dashboard page shows when it fails: a 403 from requireUser(), or an error with a reference. */
export default function DashboardError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  const needed = error.digest?.startsWith(FORBIDDEN_DIGEST_PREFIX) ? error.digest.slice(FORBIDDEN_DIGEST_PREFIX.length) : undefined;
  if (needed !== undefined) {
    return (
      <div className="max-w-2xl space-y-4" data-testid="forbidden">
        <h1 className="text-2xl font-semibold text-slate-900">Not allowed</h1>
        <Alert tone="warn" title={`This page needs the ${isRole(needed) ? roleLabels[needed] : needed} role.`}>
          Your role does not include it. An admin can change your role.
        </Alert>
        <Link href="/apps" className={buttonClasses({ variant: "secondary" })}>
          Back to apps
        </Link>
      </div>
    );
  }
  return (
    <div className="max-w-2xl space-y-4">
      <h1 className="text-2xl font-semibold text-slate-900">This page could not be loaded</h1>
      <Alert tone="error" title="Something failed on the server.">
        Nothing was changed by opening this page. {error.digest ? <>The server log has the details under reference <code className="font-mono">{error.digest}</code>.</> : null}
      </Alert>
      <div className="flex gap-2">
        <Button type="button" variant="primary" onClick={() => reset()}>
          Try again
        </Button>
        <Link href="/apps" className={buttonClasses({ variant: "secondary" })}>
          Back to apps
        </Link>
      </div>
    </div>
  );
}
