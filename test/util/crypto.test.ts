import { describe, expect, test } from "bun:test";
import { equalInConstantTime, hmacSha256, randomBytes, randomUUID, sha256 } from "../../src/util/crypto.ts";

describe("crypto helpers", () => {
  test("HMAC-SHA256 matches RFC 4231 test case 2", () => {
    expect(hmacSha256("Jefe", "what do ya want for nothing?").toString("hex")).toBe(
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    );
  });

  test("SHA-256 hashes incrementally", () => {
    expect(sha256().update("a").update("bc").digest("hex")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  test("random bytes and UUIDs differ between calls and have their shapes", () => {
    const a = randomBytes(16), b = randomBytes(16);
    expect(a.length).toBe(16);
    expect(a.equals(b)).toBe(false);
    expect(randomUUID()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  test("constant-time compare: equal, different content, different length", () => {
    expect(equalInConstantTime(Buffer.from("abc"), Buffer.from("abc"))).toBe(true);
    expect(equalInConstantTime(Buffer.from("abc"), Buffer.from("abd"))).toBe(false);
    expect(equalInConstantTime(Buffer.from("abc"), Buffer.from("ab"))).toBe(false);
  });
});
