import { describe, expect, it } from "vitest";
import { clientAddress } from "./client";

describe("clientAddress", () => {
  it("takes the first forwarded address, or x-real-ip", () => {
    expect(clientAddress(new Headers({ "x-forwarded-for": "203.0.113.7, 10.0.0.1" }))).toBe("203.0.113.7");
    expect(clientAddress(new Headers({ "x-real-ip": "2001:db8::1" }))).toBe("2001:db8::1");
  });

  it.each(["", "x".repeat(10_000), "1.2.3.4<script>", "evil.example", "1".repeat(100)])("answers unknown for %j", (value) => {
    expect(clientAddress(new Headers({ "x-forwarded-for": value }))).toBe("unknown");
  });
});
