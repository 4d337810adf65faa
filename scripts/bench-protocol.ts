// Protocol codec throughput on the largest reference stream (sliced_ender3v2_example002_full, a 57-min
// print). The stream is decompressed first; only decoding (and encoding) is timed. `bun run bench`.
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { BlockReader, DataDictionary, encodeBlock, packMessages, ParseDumper } from "../src/protocol/index.ts";

const ref = new URL("../../shared/reference/klipper/", import.meta.url).pathname;
const dict = DataDictionary.fromJson(readFileSync(ref + "dict/stm32f103-serial.dict", "utf8"));
const stream = new Uint8Array(gunzipSync(readFileSync(ref + "cases/sliced_ender3v2_example002_full/out.serial.gz")));
const CHUNK = 4096; // what a serial read or a file read hands over at a time
const RUNS = 5;

function time(run: () => number): { ms: number; count: number } {
  let best = Infinity;
  let count = 0;
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    count = run();
    best = Math.min(best, performance.now() - t0);
  }
  return { ms: best, count };
}

function report(what: string, bytes: number, r: { ms: number; count: number }, unit = "messages"): void {
  const s = r.ms / 1000;
  console.log(`${what.padEnd(34)} ${r.ms.toFixed(1).padStart(8)} ms  ${(bytes / 1e6 / s).toFixed(1).padStart(7)} MB/s  ${(r.count / s / 1e6).toFixed(2).padStart(6)} M ${unit}/s  (${r.count} ${unit})`);
}

console.log(`stream: ${(stream.length / 1e6).toFixed(2)} MB, best of ${RUNS} runs, ${CHUNK}-byte chunks`);

const decodeObjects = () => {
  let n = 0;
  const r = new BlockReader();
  for (let p = 0; p < stream.length; p += CHUNK) {
    r.push(stream.subarray(p, p + CHUNK));
    for (let b = r.next(); b; b = r.next()) n += dict.decodeMessages(b.payload).length;
  }
  return n;
};
const messages = decodeObjects(); // parsedump prints one line per message

let textBytes = 0;
report("parsedump text (ParseDumper)", stream.length, time(() => {
  textBytes = 0;
  const d = new ParseDumper(dict, (t) => void (textBytes += t.length));
  for (let p = 0; p < stream.length; p += CHUNK) d.push(stream.subarray(p, p + CHUNK));
  d.end();
  return messages;
}));
console.log(`${"".padEnd(34)} (${(textBytes / 1e6).toFixed(1)} MB of text)`);

report("BlockReader + decodeMessages", stream.length, time(decodeObjects));

report("BlockReader framing only", stream.length, time(() => {
  const r = new BlockReader();
  for (let p = 0; p < stream.length; p += CHUNK) {
    r.push(stream.subarray(p, p + CHUNK));
    while (r.nextView());
  }
  return r.stats.blocks;
}), "blocks");

// Encoding: re-encode every queue_step of the stream by name, then frame it.
const steps: Record<string, number>[] = [];
{
  const r = new BlockReader();
  r.push(stream);
  for (let b = r.next(); b; b = r.next()) {
    for (const m of dict.decodeMessages(b.payload)) if (m.name === "queue_step") steps.push(m.params as Record<string, number>);
  }
}
let encodedBytes = 0;
let msgs: Uint8Array[] = [];
const byName = time(() => {
  msgs = steps.map((p) => dict.encodeCommand("queue_step", p));
  return msgs.length;
});
const messageBytes = msgs.reduce((n, m) => n + m.length, 0);
report("encodeCommand(queue_step, {...})", messageBytes, byName);
const qs = dict.command("queue_step");
report("MessageFormat.encodeValues([...])", messageBytes, time(() => {
  for (const p of steps) qs.encodeValues([p.oid!, p.interval!, p.count!, p.add!]);
  return steps.length;
}));
const framed = time(() => {
  let seq = 0;
  encodedBytes = 0;
  for (const p of packMessages(msgs)) encodedBytes += encodeBlock(seq++, p).length;
  return msgs.length;
});
report("packMessages + encodeBlock", encodedBytes, framed);
