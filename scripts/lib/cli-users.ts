// npm run lifeboat -- users <list|add|set-role|disable|enable|reset-password|unlock> [flags]
// The dashboard's Users page, for a shell on the Lifeboat host (having that shell is the authorisation).
// Every change is audited as "cli:<os user>"; generated passwords are printed once and never logged.
import os from "node:os";
import { parseArgs } from "node:util";
import { generatePassword } from "@/lib/auth/password";
import { recordAudit } from "@/lib/db/queries/audit";
import { createUser, getUserByEmail, listUsersWithSessions, resetUserPassword, setUserDisabled, setUserRole, unlockUser, type UserView } from "@/lib/db/queries/users";
import { env } from "@/lib/env";
import { formatDateTime } from "@/lib/format";
import { OpError } from "@/lib/ops/errors";
import { addUserSchema, emailSchema, roleSchema } from "@/lib/validation/users";

export const USERS_USAGE = `usage: npm run lifeboat -- users <command>
  users list
  users add --email E --role admin|operator|viewer [--name N] [--password P]   (no --password: one is generated and printed once)
  users set-role --email E --role R           (ends the user's sessions)
  users disable --email E                     (ends the user's sessions)
  users enable --email E
  users reset-password --email E [--password P]   (ends sessions, clears sign-in waits)
  users unlock --email E                      (clears sign-in waits)`;

const actor = () => `cli:${os.userInfo().username}`;
const audit = (action: string, email: string, message: string) =>
  recordAudit({ actor: actor(), action, params: { email }, result: "ok", message });

function usage(message: string): never {
  throw new OpError("usage", `${message}\n${USERS_USAGE}`);
}

function flags(args: string[], options: Record<string, { type: "string" | "boolean" }>) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values as Record<string, string | boolean | undefined>;
  } catch (e) {
    usage(e instanceof Error ? e.message : String(e));
  }
}

async function requireUserByEmail(raw: unknown): Promise<UserView> {
  const email = emailSchema.safeParse(raw);
  if (!email.success) usage("--email is required and must be an email address.");
  const user = await getUserByEmail(email.data);
  if (!user) throw new OpError("not_found", `No user ${email.data}. Add one: npm run lifeboat -- users add --email ${email.data} --role viewer`);
  return user;
}

function passwordFrom(value: unknown): { password: string; generated: boolean } {
  if (value === undefined) return { password: generatePassword(), generated: true };
  if (typeof value !== "string" || value === "") usage("--password needs a value (or leave it out to generate one).");
  return { password: value, generated: false };
}

const commands: Record<string, (args: string[]) => Promise<number>> = {
  async list(args) {
    flags(args, {});
    for (const u of await listUsersWithSessions(env().LIFEBOAT_SESSION_IDLE_MINUTES)) {
      console.log(
        [u.email.padEnd(32), u.role.padEnd(8), u.disabled ? "disabled" : "enabled ", `last sign-in ${u.lastSignInAt ? formatDateTime(u.lastSignInAt) : "never"}`, `${u.activeSessions} session(s)`].join("  "),
      );
    }
    return 0;
  },

  async add(args) {
    const v = flags(args, { email: { type: "string" }, role: { type: "string" }, name: { type: "string" }, password: { type: "string" } });
    const input = addUserSchema.safeParse({ email: v.email, role: v.role, name: v.name });
    if (!input.success) usage(input.error.issues.map((i) => `--${String(i.path[0])}: ${i.message}`).join("; "));
    const { password, generated } = passwordFrom(v.password);
    const user = await createUser({ ...input.data, name: input.data.name ?? null, password });
    await audit("users.add", user.email, `added ${user.email} as ${user.role}`);
    console.log(`Created ${user.email} with role ${user.role}.`);
    if (generated) console.log(`Password (shown once, store it now): ${password}`);
    return 0;
  },

  async "set-role"(args) {
    const v = flags(args, { email: { type: "string" }, role: { type: "string" } });
    const role = roleSchema.safeParse(v.role);
    if (!role.success) usage("--role must be one of admin, operator, viewer.");
    const user = await requireUserByEmail(v.email);
    await setUserRole(user.id, role.data);
    await audit("users.set_role", user.email, `${user.email} is now ${role.data}; sessions ended`);
    console.log(`${user.email} is now ${role.data}; their sessions were ended.`);
    return 0;
  },

  async disable(args) {
    const user = await requireUserByEmail(flags(args, { email: { type: "string" } }).email);
    await setUserDisabled(user.id, true);
    await audit("users.set_disabled", user.email, `${user.email} disabled; sessions ended`);
    console.log(`${user.email} is disabled; their sessions and API tokens stop working now.`);
    return 0;
  },

  async enable(args) {
    const user = await requireUserByEmail(flags(args, { email: { type: "string" } }).email);
    await setUserDisabled(user.id, false);
    await audit("users.set_disabled", user.email, `${user.email} enabled`);
    console.log(`${user.email} is enabled.`);
    return 0;
  },

  async "reset-password"(args) {
    const v = flags(args, { email: { type: "string" }, password: { type: "string" } });
    const user = await requireUserByEmail(v.email);
    const { password, generated } = passwordFrom(v.password);
    await resetUserPassword(user.id, password);
    await audit("users.reset_password", user.email, `reset the password of ${user.email}; sessions ended, sign-in waits cleared`);
    console.log(`New password set for ${user.email}; their sessions were ended and sign-in waits cleared.`);
    if (generated) console.log(`Password (shown once, store it now): ${password}`);
    return 0;
  },

  async unlock(args) {
    const user = await requireUserByEmail(flags(args, { email: { type: "string" } }).email);
    const cleared = await unlockUser(user.id);
    await audit("users.unlock", user.email, `cleared ${cleared} sign-in wait(s)`);
    console.log(cleared ? `Cleared ${cleared} sign-in wait(s) for ${user.email}.` : `${user.email} had no sign-in waits.`);
    return 0;
  },
};

/** Runs `users <command> …`; returns the exit code (2 for usage errors). */
export async function run(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  const cmd = name ? commands[name] : undefined;
  if (!cmd) {
    console.error(name ? `users: unknown command "${name}".\n${USERS_USAGE}` : USERS_USAGE);
    return 2;
  }
  try {
    return await cmd(rest);
  } catch (e) {
    if (e instanceof OpError) {
      console.error(`users ${name}: ${e.message}`);
      return e.code === "usage" ? 2 : 1;
    }
    throw e;
  }
}
