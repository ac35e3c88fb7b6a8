import Link from "next/link";
import { Alert } from "@/components/ui/alert";
import { buttonClasses } from "@/components/ui/button";
import { roleDescriptions, roleLabels } from "@/lib/auth/roles";
import { getSessionUser } from "@/lib/auth/session";

export const metadata = { title: "Not allowed" };

/** requireUser()'s forbidden(): answered with HTTP 403, inside the dashboard's frame. */
export default async function Forbidden() {
  const user = await getSessionUser().catch(() => null);
  return (
    <div className="max-w-2xl space-y-4" data-testid="forbidden">
      <h1 className="text-2xl font-semibold text-slate-900">Not allowed</h1>
      <Alert tone="warn" title="This page needs a role above yours.">
        {user ? (
          <>
            You are signed in as {user.email} with the {roleLabels[user.role]} role, which {roleDescriptions[user.role]}.{" "}
          </>
        ) : null}
        An admin can change your role.
      </Alert>
      <Link href="/apps" className={buttonClasses({ variant: "secondary" })}>
        Back to apps
      </Link>
    </div>
  );
}
