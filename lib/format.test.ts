import { describe, expect, it } from "vitest";
import { formatAge, formatBytes, formatDuration } from "./format";

describe("format", () => {
  it("formats bytes in decimal units", () => {
    expect(formatBytes(null)).toBe("—");
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1_500_000)).toBe("1.5 MB");
    expect(formatBytes(1_530_000_000)).toBe("1.5 GB");
    expect(formatBytes(250_000_000)).toBe("250 MB");
  });
  it("formats ages and durations", () => {
    const now = new Date("2026-01-02T00:00:00Z");
    expect(formatAge(null, now)).toBe("never");
    expect(formatAge(new Date("2026-01-01T23:59:30Z"), now)).toBe("30s");
    expect(formatAge(new Date("2026-01-01T21:30:00Z"), now)).toBe("2h 30m");
    expect(formatAge(new Date("2025-12-30T00:00:00Z"), now)).toBe("3d 0h");
    expect(formatDuration(250)).toBe("250 ms");
    expect(formatDuration(12_340)).toBe("12.3 s");
  });
});
