// Types for the parts of multicast-dns 7 (and its dns-packet records) that the advertiser uses; the
// package ships none.
declare module "multicast-dns" {
  import type { EventEmitter } from "node:events";
  import type { RemoteInfo } from "node:dgram";

  export type RecordType = "A" | "PTR" | "SRV" | "TXT" | "AAAA" | "ANY" | "NSEC";
  export interface Question {
    name: string;
    type: RecordType | string;
    class?: string;
  }
  export interface Answer {
    name: string;
    type: RecordType;
    ttl?: number;
    flush?: boolean;
    data: string | string[] | Buffer[] | { priority: number; weight: number; port: number; target: string };
  }
  export interface Packet {
    type: "query" | "response";
    id?: number;
    flags?: number;
    questions: Question[];
    answers: Answer[];
    additionals?: Answer[];
  }
  export interface Options {
    interface?: string;
    bind?: string | false;
    port?: number;
    ip?: string;
    reuseAddr?: boolean;
    multicast?: boolean;
    loopback?: boolean;
    ttl?: number;
  }
  export interface MulticastDns extends EventEmitter {
    respond(res: Answer[] | { answers: Answer[]; additionals?: Answer[] }, rinfo?: { port: number; address: string }, cb?: (err: Error | null) => void): void;
    query(q: Question[] | string, type?: string, cb?: (err: Error | null) => void): void;
    destroy(cb?: () => void): void;
    on(event: "query" | "response", listener: (packet: Packet, rinfo: RemoteInfo) => void): this;
    on(event: "error" | "warning", listener: (err: Error) => void): this;
    on(event: "ready" | "networkInterface", listener: () => void): this;
  }
  export default function mdns(opts?: Options): MulticastDns;
}
