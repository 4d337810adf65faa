// Trusted client networks: IPv4/IPv6 addresses and CIDR ranges, and the default list (loopback and
// the subnets of this machine's own interfaces, so a browser on the LAN works out of the box).
import { networkInterfaces } from "node:os";

interface Address {
  v6: boolean;
  bits: bigint;
}
export interface Network {
  v6: boolean;
  base: bigint;
  prefix: number;
  text: string;
}

function parseV4(s: string): bigint | null {
  const parts = s.split(".");
  if (parts.length !== 4) return null;
  let n = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
    n = (n << 8n) | BigInt(p);
  }
  return n;
}

function parseV6(s: string): bigint | null {
  let tail: bigint | null = null;
  let text = s;
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".")) {
    tail = parseV4(text.slice(lastColon + 1));
    if (tail === null) return null;
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(":") : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...rest];
  let n = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    n = (n << 16n) | BigInt(parseInt(g, 16));
  }
  return tail === null ? n : (n & ~0xffffffffn) | tail;
}

/** An address as the server sees it; IPv4-mapped IPv6 ("::ffff:10.0.0.5") counts as IPv4. */
export function parseAddress(ip: string): Address | null {
  const s = ip.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  const v4 = parseV4(s);
  if (v4 !== null) return { v6: false, bits: v4 };
  const v6 = parseV6(s);
  if (v6 === null) return null;
  if (v6 >> 32n === 0xffffn) return { v6: false, bits: v6 & 0xffffffffn };
  return { v6: true, bits: v6 };
}

/** "192.168.1.0/24", "fd00::/8" or a single address; null when it is neither. */
export function parseNetwork(text: string): Network | null {
  const [addr, prefixText, extra] = text.trim().split("/");
  if (extra !== undefined || !addr) return null;
  const a = parseAddress(addr);
  if (!a) return null;
  const width = a.v6 ? 128 : 32;
  const prefix = prefixText === undefined ? width : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefix >= 0 && prefix <= width)) return null;
  return { v6: a.v6, base: mask(a.bits, prefix, width), prefix, text: text.trim() };
}

function mask(bits: bigint, prefix: number, width: number): bigint {
  const hostBits = BigInt(width - prefix);
  return (bits >> hostBits) << hostBits;
}

export function inNetworks(ip: string, networks: readonly Network[]): boolean {
  const a = parseAddress(ip);
  if (!a) return false;
  return networks.some((n) => n.v6 === a.v6 && mask(a.bits, n.prefix, a.v6 ? 128 : 32) === n.base);
}

/** Loopback plus the subnet of every address of this machine's interfaces. */
export function defaultTrustedClients(): string[] {
  const list = new Set(["127.0.0.0/8", "::1/128"]);
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (!a.internal && a.cidr) list.add(a.cidr);
  }
  return [...list];
}
