import { describe, expect, it } from "vitest";
import { credentialsSchema } from "@/lib/auth/credentials";
import { addUserSchema } from "./users";

// user:add once accepted addresses the sign-in form rejected (issue 8 item 16): both now parse with one rule.
const cases = ["ops@example.com", " Ops@Example.COM ", "a@b", "no-at-sign", "two@@example.com", "sp ace@example.com", "x@localhost", "admin@lifeboat.local"];

describe("one email rule", () => {
  for (const email of cases) {
    it(`user creation and sign-in agree on ${JSON.stringify(email)}`, () => {
      const add = addUserSchema.safeParse({ email, role: "viewer" });
      const signIn = credentialsSchema.safeParse({ email, password: "x" });
      expect(add.success).toBe(signIn.success);
      if (add.success && signIn.success) expect(add.data.email).toBe(signIn.data.email);
    });
  }
  it("the demo admin's address is accepted", () => {
    expect(credentialsSchema.safeParse({ email: "admin@lifeboat.local", password: "x" }).success).toBe(true);
  });
});
