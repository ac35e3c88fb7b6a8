// npm run user:add -- --email you@example.com --role admin|operator|viewer [--password …] [--name …] [--update]
// Creates a dashboard user in the metadata database (DATABASE_URL). Without --password a strong one is
// generated and printed once. --update changes the role (and password, if given) of an existing user and
// re-enables it: the way back in when the last admin forgot their password.
import { parseArgs } from "node:util";
import { scrubText } from "@/lib/actions/params";
import { checkPasswordPolicy, generatePassword } from "@/lib/auth/password";
import { isRole, ROLES } from "@/lib/auth/roles";
import { closeDb } from "@/lib/db/client";
import { createUser, getUserByEmail, setUserDisabled, setUserPassword, setUserRole } from "@/lib/db/queries/users";
import { requireEnv } from "@/lib/env";
import { emailSchema } from "@/lib/validation/email";
import { isOpError } from "@/lib/ops/errors";

const USAGE = "usage: npm run user:add -- --email you@example.com --role admin|operator|viewer [--password …] [--name …] [--update]";

/** drizzle wraps driver errors ("Failed query: …"); the cause says what actually went wrong. */
function rootMessage(e: unknown): string {
  let err = e;
  while (err instanceof Error && err.cause instanceof Error) err = err.cause;
  return scrubText(err instanceof Error ? err.message || String(err) : String(err));
}

function fail(message: string): never {
  console.error(`user:add: ${message}`);
  process.exit(1);
}

async function main() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        email: { type: "string" },
        role: { type: "string" },
        password: { type: "string" },
        name: { type: "string" },
        update: { type: "boolean", default: false },
      },
      strict: true,
    }));
  } catch (e) {
    fail(`${e instanceof Error ? e.message : String(e)}\n${USAGE}`);
  }
  const parsed = emailSchema.safeParse(values.email ?? "");
  if (!parsed.success) fail(`--email is required and must be an email address the sign-in form accepts.\n${USAGE}`);
  const email = parsed.data;
  if (!isRole(values.role)) fail(`--role must be one of: ${ROLES.join(", ")}.\n${USAGE}`);
  const role = values.role;
  const generated = values.password === undefined;
  const password = values.password ?? generatePassword();
  const problem = checkPasswordPolicy(password);
  if (problem) fail(`the password ${problem}.`);
  requireEnv("DATABASE_URL");

  const existing = await getUserByEmail(email);
  if (existing && !values.update) fail(`${email} already exists (role ${existing.role}). Add --update to change its role${generated ? "" : " and password"}.`);
  if (existing) {
    await setUserRole(existing.id, role);
    await setUserDisabled(existing.id, false);
    if (!generated) await setUserPassword(existing.id, password);
    console.log(`Updated ${email}: role ${role}${generated ? "" : ", new password set"}, enabled.`);
    return;
  }
  await createUser({ email, name: values.name ?? null, password, role });
  console.log(`Created ${email} with role ${role}.`);
  if (generated) console.log(`Password (shown once, store it now): ${password}`);
}

try {
  await main();
} catch (e) {
  if (isOpError(e)) fail(e.message);
  const text = rootMessage(e);
  if (/ECONNREFUSED|ENOTFOUND|password authentication failed|does not exist|relation .* does not exist/i.test(text)) {
    fail(`cannot use the metadata database in DATABASE_URL (${text}). Is it running, and did npm run db:migrate run?`);
  }
  fail(text);
} finally {
  await closeDb();
}
