// Trusted networks and CORS patterns: CIDR matching for IPv4, IPv6 and IPv4-mapped addresses;
// cors_domains globs as Moonraker reads them.
import { expect, test } from "bun:test";
import { compileCorsDomains } from "../../../src/api/auth/cors.ts";
import { defaultTrustedClients, inNetworks, parseNetwork } from "../../../src/api/auth/networks.ts";

const nets = (...s: string[]) => s.map((x) => parseNetwork(x)!);

test("IPv4 CIDR ranges and single addresses", () => {
  const n = nets("192.168.1.0/24", "10.0.0.7");
  expect(inNetworks("192.168.1.200", n)).toBe(true);
  expect(inNetworks("192.168.2.1", n)).toBe(false);
  expect(inNetworks("10.0.0.7", n)).toBe(true);
  expect(inNetworks("10.0.0.8", n)).toBe(false);
  expect(inNetworks("::ffff:192.168.1.9", n)).toBe(true);
  expect(inNetworks("not-an-ip", n)).toBe(false);
});

test("IPv6 ranges, compressed forms and zone ids", () => {
  const n = nets("fd00:1234::/32", "::1");
  expect(inNetworks("fd00:1234:ffff::1", n)).toBe(true);
  expect(inNetworks("fd00:1235::1", n)).toBe(false);
  expect(inNetworks("0:0:0:0:0:0:0:1", n)).toBe(true);
  expect(inNetworks("fe80::1%eth0", nets("fe80::/64"))).toBe(true);
});

test("bad entries are refused", () => {
  for (const bad of ["300.1.1.1", "10.0.0.0/33", "1::2::3", "printer.local", "10.0.0.0/8/1", "::1/129"]) expect(parseNetwork(bad)).toBeNull();
});

test("the default list has loopback and this machine's subnets", () => {
  const list = defaultTrustedClients();
  expect(list).toContain("127.0.0.0/8");
  expect(list).toContain("::1/128");
  for (const entry of list) expect(parseNetwork(entry)).not.toBeNull();
});

test("cors_domains globs; a wildcard top-level domain is refused", () => {
  const warnings: string[] = [];
  const res = compileCorsDomains(["*.local", "*://localhost:*", "https://app.fluidd.xyz", "http://printer.*"], (m) => warnings.push(m));
  const ok = (o: string) => res.some((r) => r.test(o));
  expect(ok("http://voron.local")).toBe(true);
  expect(ok("http://voron.local.evil.com")).toBe(false);
  expect(ok("http://localhost:8080")).toBe(true);
  expect(ok("https://app.fluidd.xyz")).toBe(true);
  expect(ok("http://app.fluidd.xyz")).toBe(false);
  expect(ok("http://printer.com")).toBe(false);
  expect(warnings).toHaveLength(1);
});
