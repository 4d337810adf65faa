// A G-code terminal on the printer's pty (what OctoPrint or a serial console does): open it as a
// serial port, send lines, collect the reply lines.
import { type ByteTransport, openSerialTransport } from "../../src/mcu/transport/index.ts";

export interface PtyClient {
  lines: string[];
  send(text: string): void;
  /** Wait until a reply line after index `from` matches; returns its index. */
  waitFor(match: RegExp | string, from?: number, timeout?: number): Promise<number>;
  close(): Promise<void>;
}

export async function openPtyClient(path: string): Promise<PtyClient> {
  const t: ByteTransport = await openSerialTransport(path);
  const lines: string[] = [];
  const decoder = new TextDecoder();
  let partial = "";
  t.onData((chunk) => {
    const parts = (partial + decoder.decode(chunk, { stream: true })).split("\n");
    partial = parts.pop()!;
    lines.push(...parts);
  });
  return {
    lines,
    send: (text) => t.write(new TextEncoder().encode(text)),
    async waitFor(match, from = 0, timeout = 15) {
      const deadline = performance.now() + timeout * 1000;
      const hit = (l: string) => (typeof match === "string" ? l === match : match.test(l));
      for (;;) {
        const i = lines.findIndex((l, idx) => idx >= from && hit(l));
        if (i >= 0) return i;
        if (performance.now() > deadline) throw new Error(`no reply matching ${match} within ${timeout} s; got:\n${lines.slice(from).join("\n")}`);
        await Bun.sleep(10);
      }
    },
    close: () => t.close(),
  };
}
