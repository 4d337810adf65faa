// Advertises the printer over mDNS: one multicast-dns responder per up IPv4 interface, each answering
// only queries from its own subnet with its own address; announces on start and when an address
// appears, sends goodbyes (TTL 0) when an address goes away and on stop. Shares 5353 with avahi (reuseAddr).
import { networkInterfaces } from "node:os";
import mdns, { type MulticastDns, type Packet } from "multicast-dns";
import { type AdvertisedHost, allRecords, answersFor } from "./mdns-records.ts";

export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export interface InterfaceAddress {
  name: string;
  address: string;
  netmask: string;
}

/** The up IPv4 addresses now (the OS lists only interfaces that are up and carry an address). */
export function ipv4Addresses(): InterfaceAddress[] {
  const out: InterfaceAddress[] = [];
  for (const [name, infos] of Object.entries(networkInterfaces())) {
    for (const i of infos ?? []) if (i.family === "IPv4") out.push({ name, address: i.address, netmask: i.netmask });
  }
  return out;
}

function ipToInt(ip: string): number {
  return ip.split(".").reduce((acc, part) => ((acc << 8) | Number(part)) >>> 0, 0);
}

export function sameSubnet(a: string, b: string, netmask: string): boolean {
  const m = ipToInt(netmask);
  return ((ipToInt(a) & m) >>> 0) === ((ipToInt(b) & m) >>> 0);
}

class Responder {
  private readonly socket: MulticastDns;
  constructor(
    readonly iface: InterfaceAddress,
    private readonly host: AdvertisedHost,
    private readonly log: Logger,
  ) {
    // Bound to the group address, joined on this interface only, sending out of it.
    this.socket = mdns({ interface: iface.address, bind: "224.0.0.251", reuseAddr: true, loopback: true });
    this.socket.on("error", (err) => log.warn(`mDNS on ${iface.name} (${iface.address}): ${err.message}`));
    this.socket.on("warning", (err) => log.warn(`mDNS on ${iface.name} (${iface.address}): ${err.message}`));
    this.socket.on("query", (packet, rinfo) => this.onQuery(packet, rinfo.address, rinfo.port));
  }

  private onQuery(packet: Packet, from: string, port: number): void {
    if (!sameSubnet(from, this.iface.address, this.iface.netmask)) return;
    const answers = answersFor(this.host, this.iface.address, packet.questions);
    if (answers.length === 0) return;
    // A legacy one-shot resolver (source port ≠ 5353) gets a unicast reply with its query id.
    if (port !== 5353) this.socket.respond({ answers }, { port, address: from });
    else this.socket.respond(answers);
  }

  announce(ttl?: number): Promise<void> {
    return new Promise((resolve) => {
      this.socket.respond(allRecords(this.host, this.iface.address, ttl), undefined, (err) => {
        if (err) this.log.warn(`mDNS announce on ${this.iface.name} (${this.iface.address}): ${err.message}`);
        resolve();
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.destroy(() => resolve()));
  }
}

export interface AdvertiserOptions {
  host: AdvertisedHost;
  log: Logger;
  /** How often to look for address changes (ms). */
  pollMs?: number;
  /** The addresses to serve (default: every up IPv4 address); tests restrict it to their own namespace. */
  addresses?: () => InterfaceAddress[];
}

export interface Advertiser {
  /** Interfaces currently served. */
  served(): InterfaceAddress[];
  /** Re-read the addresses now (the poll does this every pollMs). */
  refresh(): Promise<void>;
  /** Goodbye on every interface, then close. */
  stop(): Promise<void>;
}

const key = (i: InterfaceAddress) => `${i.name}/${i.address}/${i.netmask}`;

export function startAdvertiser(opts: AdvertiserOptions): Advertiser {
  const list = opts.addresses ?? ipv4Addresses;
  const responders = new Map<string, Responder>();
  let stopped = false;
  let busy: Promise<void> = Promise.resolve();

  async function sync(): Promise<void> {
    const now = new Map(list().map((i) => [key(i), i]));
    for (const [k, r] of responders) {
      if (now.has(k)) continue;
      responders.delete(k);
      opts.log.info(`mDNS: ${r.iface.name} lost ${r.iface.address}, goodbye sent`);
      await r.announce(0); // may fail if the interface is gone; the cache entry then expires
      await r.close();
    }
    for (const [k, i] of now) {
      if (responders.has(k) || stopped) continue;
      const r = new Responder(i, opts.host, opts.log);
      responders.set(k, r);
      opts.log.info(`mDNS: advertising ${opts.host.instance} on ${i.name} (${i.address})`);
      await r.announce();
      // RFC 6762 §8.3: a second announcement one second later.
      setTimeout(() => void (responders.get(k) === r && r.announce()), 1000).unref();
    }
  }

  const refresh = () => (busy = busy.then(sync, sync));
  void refresh();
  const timer = setInterval(() => void refresh(), opts.pollMs ?? 3000);
  timer.unref();

  return {
    served: () => [...responders.values()].map((r) => r.iface),
    refresh,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await busy;
      const all = [...responders.values()];
      responders.clear();
      await Promise.all(all.map((r) => r.announce(0)));
      await Promise.all(all.map((r) => r.close()));
    },
  };
}
