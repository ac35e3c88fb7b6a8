import { describe, expect, it } from "vitest";
import { describeError, formDataToObject, isSecretKey, REDACTED, scrubParams, scrubText, searchParamsToObject } from "./params";

describe("formDataToObject", () => {
  it("keeps single values as strings and repeated keys as arrays", () => {
    const fd = new FormData();
    fd.append("app", "shop");
    fd.append("backupId", "42");
    fd.append("tag", "a");
    fd.append("tag", "b");
    fd.append("tag", "c");
    fd.append("empty", "");
    expect(formDataToObject(fd)).toEqual({ app: "shop", backupId: "42", tag: ["a", "b", "c"], empty: "" });
  });

  it("drops Next's own $ACTION fields", () => {
    const fd = new FormData();
    fd.append("$ACTION_ID_abc", "");
    fd.append("$ACTION_KEY", "k");
    fd.append("app", "shop");
    expect(formDataToObject(fd)).toEqual({ app: "shop" });
  });

  it("keeps files as files", () => {
    const fd = new FormData();
    fd.append("upload", new File(["hello"], "a.txt"));
    expect(formDataToObject(fd).upload).toBeInstanceOf(File);
  });

  it("does the same for query strings", () => {
    expect(searchParamsToObject(new URLSearchParams("a=1&b=2&b=3"))).toEqual({ a: "1", b: ["2", "3"] });
  });
});

describe("secret scrubbing", () => {
  it("recognises secret-looking keys by word", () => {
    for (const k of ["password", "dbPassword", "new_password", "secret", "clientSecret", "token", "apiToken", "url", "healthUrl", "connection", "connectionString", "dsn", "authorization", "cookie", "privateKey", "commandEnv"]) {
      expect(isSecretKey(k), k).toBe(true);
    }
    for (const k of ["app", "backupId", "label", "endSessions", "method", "monkey", "passenger", "keyboard", "host", "confirm"]) {
      expect(isSecretKey(k), k).toBe(false);
    }
  });

  it("replaces secret values, keeps the rest, and never keeps the secret text", () => {
    const input = {
      slug: "shop",
      password: "hunter2-very-secret",
      url: "postgres://shop:hunter2-very-secret@db:5432/shop",
      nested: { apiToken: "lb_abcdef", port: 5432 },
      list: [{ secret: "s3" }, "plain"],
      emptyPassword: "",
    };
    const out = scrubParams(input);
    expect(out).toEqual({
      slug: "shop",
      password: REDACTED,
      url: REDACTED,
      nested: { apiToken: REDACTED, port: 5432 },
      list: [{ secret: REDACTED }, "plain"],
    });
    expect(JSON.stringify(out)).not.toContain("hunter2");
    expect(JSON.stringify(out)).not.toContain("lb_abcdef");
  });

  it("masks credentials hiding in free text under innocent keys", () => {
    const out = scrubParams({ note: "copy from postgresql://admin:p%40ss@10.0.0.1/db please", cmd: "psql password=hunter2 host=x" });
    expect(out.note).toBe("copy from postgresql://admin:****@10.0.0.1/db please");
    expect(out.cmd).toBe("psql password=**** host=x");
    expect(scrubText("Authorization: Bearer lb_secret123")).toBe("Authorization: Bearer ****");
  });

  it("scrubs FormData, files and long values", () => {
    const fd = new FormData();
    fd.append("password", "hunter2hunter2");
    fd.append("label", "x".repeat(600));
    fd.append("upload", new File(["hello"], "dump.sql"));
    const out = scrubParams(fd);
    expect(out.password).toBe(REDACTED);
    expect((out.label as string).length).toBeLessThanOrEqual(501);
    expect(out.upload).toBe("[file dump.sql, 5 bytes]");
  });

  it("masks credentials in logged errors", () => {
    const text = describeError(new Error("connect failed for postgres://u:topsecret@h/db"));
    expect(text).toContain("postgres://u:****@h/db");
    expect(text).not.toContain("topsecret");
  });
});
