import { describe, expect, it } from "vitest";
import { channelIdSchema, notifyUrlSchema } from "./notifications";

describe("notification channel fields", () => {
  it("refuses a URL that carries a user or password (fetch cannot send it); a token in the path or query is fine", () => {
    for (const url of ["http://user:pw@127.0.0.1:3472/hook", "https://user@hooks.example.com/x"]) {
      const r = notifyUrlSchema.safeParse(url);
      expect(r.success).toBe(false);
      expect(r.error?.issues[0]?.message).toMatch(/no user:password@ in the URL/);
    }
    expect(notifyUrlSchema.parse("https://hooks.example.com/T000/B000/secret?token=abc")).toBe("https://hooks.example.com/T000/B000/secret?token=abc");
  });

  it("refuses ids no row can have", () => {
    expect(channelIdSchema.safeParse({ channelId: "2147483648" }).success).toBe(false);
    expect(channelIdSchema.parse({ channelId: "2147483647" })).toEqual({ channelId: 2147483647 });
  });
});
