import { describe, expect, it } from "vitest";
import { defaultOptionText } from "./backup-picker";

// An outside tester's finding: "Default: taken just before the current release" was preselected when no such
// backup existed (the plan then said so in red). The option now says what the plan found.
describe("the picker's default option", () => {
  it("names the plan's default backup, says when none is usable, and is generic until the plan is known", () => {
    expect(defaultOptionText("db_backup_1796210953.dump")).toBe("Default: db_backup_1796210953.dump");
    expect(defaultOptionText(null)).toBe("Default: none usable — pick a backup");
    expect(defaultOptionText(undefined)).toBe("Default: taken just before the current release");
  });
});
