import { describe, expect, it } from "vitest";
import { clientAddress } from "./client";
import { clientIp } from "@/lib/auth/client-info";

describe("clientAddress", () => {
  it("takes the address our proxy appended (the last forwarded entry), or x-real-ip", () => {
    expect(clientAddress(new Headers({ "x-forwarded-for": "203.0.113.7, 10.0.0.1" }))).toBe("10.0.0.1");
    expect(clientAddress(new Headers({ "x-real-ip": "2001:db8::1" }))).toBe("2001:db8::1");
  });

  it("cannot be steered by a forged first entry: the bucket is the proxy's, as for sign-in", () => {
    for (const forged of ["1.1.1.1", "2.2.2.2", "3.3.3.3"]) {
      const h = new Headers({ "x-forwarded-for": `${forged}, 198.51.100.9` });
      expect(clientAddress(h)).toBe("198.51.100.9");
      expect(clientAddress(h)).toBe(clientIp(h));
    }
  });

  it.each(["", "x".repeat(10_000), "1.2.3.4<script>", "evil.example", "1".repeat(100)])("answers unknown for %j", (value) => {
    expect(clientAddress(new Headers({ "x-forwarded-for": value }))).toBe("unknown");
  });
});
