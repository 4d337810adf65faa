// DNS-SD records for one interface address: _ultimaker._tcp (what Cura browses, with the TXT keys it
// checks) and optionally _moonraker._tcp; which of them answer a given mDNS question.
import type { Answer, Question } from "multicast-dns";

export interface ServiceSpec {
  /** e.g. "_ultimaker._tcp.local" */
  type: string;
  port: number;
  txt: Record<string, string>;
}

export interface AdvertisedHost {
  /** Instance label (before "._ultimaker._tcp.local"). */
  instance: string;
  /** Host label (before ".local"). */
  hostLabel: string;
  services: ServiceSpec[];
}

/** Cura's checks (docs/cura-network-printing.md §1): type=printer, a known BOM, firmware ≥ 4.4 → UFP uploads. */
export const CURA_BOM = "9066";
export const CURA_FIRMWARE = "5.2.11";

export function ultimakerService(name: string, port: number): ServiceSpec {
  return {
    type: "_ultimaker._tcp.local",
    port,
    txt: { type: "printer", name, machine: CURA_BOM, firmware_version: CURA_FIRMWARE, cluster_size: "1", temporary: "false" },
  };
}

/** Every record for `address`; ttl 0 gives the goodbye packet. */
export function allRecords(host: AdvertisedHost, address: string, ttl = 120): Answer[] {
  const target = `${host.hostLabel}.local`;
  const out: Answer[] = [];
  for (const s of host.services) {
    const full = `${host.instance}.${s.type}`;
    out.push({ name: s.type, type: "PTR", ttl: ttl && 4500, data: full });
    out.push({ name: full, type: "SRV", ttl, flush: true, data: { priority: 0, weight: 0, port: s.port, target } });
    out.push({ name: full, type: "TXT", ttl: ttl && 4500, flush: true, data: Object.entries(s.txt).map(([k, val]) => `${k}=${val}`) });
  }
  out.push({ name: target, type: "A", ttl, flush: true, data: address });
  return out;
}

/** The records that answer `questions` (case-insensitive names, ANY matches every type); empty if none. */
export function answersFor(host: AdvertisedHost, address: string, questions: readonly Question[]): Answer[] {
  const records = allRecords(host, address);
  const picked = new Set<Answer>();
  for (const q of questions) {
    const qname = q.name.toLowerCase().replace(/\.$/, "");
    for (const r of records) {
      if (r.name.toLowerCase() !== qname) continue;
      if (q.type !== "ANY" && q.type !== r.type) continue;
      picked.add(r);
    }
    // DNS-SD service enumeration
    if (qname === "_services._dns-sd._udp.local" && (q.type === "PTR" || q.type === "ANY")) {
      for (const s of host.services) picked.add({ name: "_services._dns-sd._udp.local", type: "PTR", ttl: 4500, data: s.type });
    }
  }
  const answers = [...picked];
  if (answers.length === 0) return answers;
  // Additional records a resolver wants with a PTR/SRV answer (Cura resolves SRV, TXT and A).
  const names = new Set(answers.map((a) => a.name));
  for (const r of records) if (!names.has(r.name) && !picked.has(r) && answers.some((a) => a.type === "PTR" || a.type === "SRV")) picked.add(r);
  return [...picked];
}
