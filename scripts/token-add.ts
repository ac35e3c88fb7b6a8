// npm run token:add -- --email ci@example.com --name deploy
// Creates an API token for an existing user and prints it once (only its sha256 is stored). The token
// acts with that user's role: give pipelines their own operator user.
import { parseArgs } from "node:util";
import { scrubText } from "@/lib/actions/params";
import { createApiToken } from "@/lib/auth/tokens";
import { closeDb } from "@/lib/db/client";
import { getUserByEmail } from "@/lib/db/queries/users";
import { requireEnv } from "@/lib/env";
import { isOpError } from "@/lib/ops/errors";

const USAGE = "usage: npm run token:add -- --email ci@example.com --name deploy";

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
    ({ values } = parseArgs({ options: { email: { type: "string" }, name: { type: "string" } }, strict: true }));
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
  const { token } = await createApiToken(user.id, name);
  console.log(`API token "${name}" for ${email} (role ${user.role}). Shown once, store it now:\n${token}`);
  console.log(`Use it as: curl -H "Authorization: Bearer $TOKEN" http://<lifeboat>/api/...`);
}

try {
  await main();
} catch (e) {
  fail(isOpError(e) ? e.message : rootMessage(e));
} finally {
  await closeDb();
}
