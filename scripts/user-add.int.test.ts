// `npm run user:add` as an operator runs it (a child process, its exit code and words), against a real
// metadata database: the email rule is the sign-in form's own, a generated password is printed once and
// signs in, bad input changes nothing, --update is the way back in.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminSql, useMetaDb } from "@/test/helpers";
import { runUnchecked } from "@/lib/ops/exec";

let metaUrl: string;
const root = process.cwd();

async function userAdd(args: string[]) {
  const r = await runUnchecked("npm", ["run", "--silent", "user:add", "--", ...args], {
    cwd: root,
    env: { PATH: process.env.PATH!, DATABASE_URL: metaUrl, LIFEBOAT_BCRYPT_COST: "4" },
    timeoutMs: 120_000,
  });
  return { code: r.code, out: r.stdout, err: r.stderrTail };
}

async function usersNamed(email: string) {
  const sql = adminSql(new URL(metaUrl).pathname.slice(1));
  try {
    return await sql<{ email: string; role: string; password_hash: string; disabled: boolean }[]>`
      SELECT email, role, password_hash, disabled FROM users WHERE lower(email) = lower(${email})`;
  } finally {
    await sql.end();
  }
}

beforeAll(async () => {
  metaUrl = await useMetaDb();
});
afterAll(async () => {
  const { closeDb } = await import("@/lib/db/client");
  await closeDb();
});

describe("npm run user:add", () => {
  it("creates a user whose printed one-time password signs in", async () => {
    const r = await userAdd(["--email", "Oncall@Example.com", "--role", "operator"]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/Created oncall@example\.com with role operator\./);
    const password = r.out.match(/Password \(shown once, store it now\): (\S+)/)?.[1];
    expect(password).toMatch(/^\S{12,}$/);
    const [row] = await usersNamed("oncall@example.com");
    expect(row?.role).toBe("operator");
    const { verifyPassword } = await import("@/lib/auth/password");
    expect(await verifyPassword(password!, row!.password_hash)).toBe(true);
    expect(await verifyPassword(password! + "x", row!.password_hash)).toBe(false);
  });

  it("refuses emails the sign-in form refuses, and flags without values, creating nothing", async () => {
    const { emailSchema } = await import("@/lib/validation/email");
    // Two the form refuses for different reasons (its unit tests hold the rest): a display name, and no domain dot.
    for (const bad of ["Root <root@example.com>", "a@b"]) {
      expect(emailSchema.safeParse(bad).success, bad).toBe(false); // the form's rule says no …
      const r = await userAdd(["--email", bad, "--role", "admin", "--password", "correct horse battery staple"]);
      expect(r.code, bad).toBe(1); // … and so does user:add
      expect(r.err).toMatch(/--email is required and must be an email address the sign-in form accepts/);
      expect(await usersNamed(bad)).toHaveLength(0);
    }
    const noValue = await userAdd(["--email", "--role", "admin"]);
    expect(noValue.code).toBe(1);
    expect(await usersNamed("--role")).toHaveLength(0);
    const badRole = await userAdd(["--email", "ops@example.com", "--role", "root"]);
    expect(badRole.code).toBe(1);
    expect(badRole.err).toMatch(/--role must be one of: viewer, operator, admin/);
    expect(await usersNamed("ops@example.com")).toHaveLength(0);
  });

  it("will not overwrite an existing user without --update, and --update re-enables with the new role", async () => {
    await userAdd(["--email", "lead@example.com", "--role", "viewer", "--password", "first password is long"]);
    const again = await userAdd(["--email", "lead@example.com", "--role", "admin", "--password", "second password is long"]);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/already exists \(role viewer\)\. Add --update/);
    expect((await usersNamed("lead@example.com"))[0]?.role).toBe("viewer");

    const sql = adminSql(new URL(metaUrl).pathname.slice(1));
    await sql`UPDATE users SET disabled = true WHERE email = 'lead@example.com'`;
    await sql.end();
    const upd = await userAdd(["--email", "lead@example.com", "--role", "admin", "--password", "second password is long", "--update"]);
    expect(upd.code, upd.err).toBe(0);
    expect(upd.out).toMatch(/Updated lead@example\.com: role admin, new password set, enabled\./);
    const [row] = await usersNamed("lead@example.com");
    expect(row?.role).toBe("admin");
    expect(row?.disabled).toBe(false);
    const { verifyPassword } = await import("@/lib/auth/password");
    expect(await verifyPassword("second password is long", row!.password_hash)).toBe(true);
  });
});
