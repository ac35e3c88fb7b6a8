// npm run token:add -- --email ci@example.com --name deploy [--role operator] [--days 90]
// Creates an API token for an existing user and prints it once (only its sha256 is stored). The token
// acts with the given role (default: the user's), never above the user's; it expires after --days (90).
// Same as `npm run lifeboat -- tokens add`.
import { parseArgs } from "node:util";
import { scrubText } from "@/lib/actions/params";
import { hasRole, isRole } from "@/lib/auth/roles";
import { createApiToken, DEFAULT_TOKEN_DAYS, MAX_TOKEN_DAYS } from "@/lib/auth/tokens";
import { closeDb } from "@/lib/db/client";
import { getUserByEmail } from "@/lib/db/queries/users";
import { requireEnv } from "@/lib/env";
import { isOpError } from "@/lib/ops/errors";

const USAGE = "usage: npm run token:add -- --email ci@example.com --name deploy [--role viewer|operator|admin] [--days 1-365]";

/** drizzle wraps driver errors ("Failed query: …"); the cause says what actually went wrong. */
function rootMessage(e: unknown): string {
  let err = e;
  while (err instanceof Error && err.cause instanceof Error) err = err.cause;
  return scrubText(err instanceof Error ? err.message || String(err) : String(err));
}

function fail(message: string): never {
  console.error(`token:add: ${message}`);
  process.exit(1);
}

async function main() {
  let values;
  try {
    ({ values } = parseArgs({
      options: { email: { type: "string" }, name: { type: "string" }, role: { type: "string" }, days: { type: "string" } },
      strict: true,
    }));
  } catch (e) {
    fail(`${e instanceof Error ? e.message : String(e)}\n${USAGE}`);
  }
  const email = values.email?.trim().toLowerCase();
  const name = values.name?.trim();
  if (!email) fail(`--email is required.\n${USAGE}`);
  if (!name || name.length > 100) fail(`--name is required (what the token is for, at most 100 characters).\n${USAGE}`);
  requireEnv("DATABASE_URL");
  const user = await getUserByEmail(email);
  if (!user) fail(`no user ${email}. Create one first: npm run user:add -- --email ${email} --role operator`);
  if (user.disabled) fail(`${email} is disabled; a token for it would be refused.`);
  const role = values.role ?? user.role;
  if (!isRole(role) || !hasRole(user.role, role)) fail(`--role must be one of viewer, operator, admin and at most ${email}'s role (${user.role}).\n${USAGE}`);
  const days = values.days === undefined ? DEFAULT_TOKEN_DAYS : Number(values.days);
  if (!/^\d+$/.test(values.days ?? String(DEFAULT_TOKEN_DAYS)) || days < 1 || days > MAX_TOKEN_DAYS) fail(`--days must be a whole number from 1 to ${MAX_TOKEN_DAYS}.\n${USAGE}`);
  const { token } = await createApiToken(user.id, name, { role, expiresInDays: days });
  console.log(`API token "${name}" for ${email} (role ${role}, expires in ${days} days). Shown once, store it now:\n${token}`);
  console.log(`Use it as: curl -H "Authorization: Bearer $TOKEN" http://<lifeboat>/api/...`);
}

try {
  await main();
} catch (e) {
  fail(isOpError(e) ? e.message : rootMessage(e));
} finally {
  await closeDb();
}
