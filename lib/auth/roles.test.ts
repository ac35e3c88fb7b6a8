import { describe, expect, it } from "vitest";
import { hasRole, isRole, roleBelow, ROLES } from "./roles";

describe("roles", () => {
  it("orders viewer < operator < admin", () => {
    expect(hasRole("viewer", "viewer")).toBe(true);
    expect(hasRole("viewer", "operator")).toBe(false);
    expect(hasRole("viewer", "admin")).toBe(false);
    expect(hasRole("operator", "viewer")).toBe(true);
    expect(hasRole("operator", "operator")).toBe(true);
    expect(hasRole("operator", "admin")).toBe(false);
    expect(hasRole("admin", "viewer")).toBe(true);
    expect(hasRole("admin", "operator")).toBe(true);
    expect(hasRole("admin", "admin")).toBe(true);
  });

  it("gives an unknown or missing role no rights", () => {
    for (const bad of ["", "root", "ADMIN", null, undefined, "constructor", "__proto__"]) {
      expect(hasRole(bad as string, "viewer")).toBe(false);
      expect(isRole(bad)).toBe(false);
    }
  });

  it("names the role below each role", () => {
    expect(roleBelow("admin")).toBe("operator");
    expect(roleBelow("operator")).toBe("viewer");
    expect(roleBelow("viewer")).toBeNull();
    expect(ROLES).toEqual(["viewer", "operator", "admin"]);
  });
});
