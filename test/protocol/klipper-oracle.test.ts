// Cross-check against Klipper's own tool: random streams (every message type, awkward values and
// buffers, unknown ids, messages reading into the block trailer, garbage between blocks) must print
// exactly what klippy/parsedump.py prints. klippy comes from the reference tarball (scripts/lib/klippy-oracle.ts).
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { canonicalRange, DataDictionary, encodeBlock, ParseDumper, TextSink } from "../../src/protocol/index.ts";
import { DICT_DIR } from "./helpers.ts";
import { Rng } from "../../scripts/lib/random.ts";
import { klippyMissing, klippyRoot, PYTHON } from "../../scripts/lib/klippy-oracle.ts";

const available = klippyMissing() === null;

/** Bytes that exercise Python's bytes repr: quotes, backslashes, control and high bytes. */
function awkwardBytes(rng: Rng, n: number): Uint8Array {
  const specials = [0x27, 0x22, 0x5c, 0x0a, 0x0d, 0x09, 0x00, 0x7f, 0x80, 0xff, 0x20, 0x7e];
  const b = rng.bytes(n);
  for (let i = 0; i < n; i++) if (rng.next() < 0.4) b[i] = rng.pick(specials);
  if (n && rng.next() < 0.3) b.fill(0x27); // only single quotes: Python switches to b"..."
  return b;
}

/** A block payload of random messages of any kind; sometimes ends in an unknown id or cut short. */
function randomPayload(rng: Rng, dict: DataDictionary): Uint8Array {
  const parts: number[] = [];
  const messages = dict.messages;
  while (parts.length < 40) {
    const m = rng.pick(messages);
    const values = m.params.map((p) => {
      if (!p.type.isInt) return awkwardBytes(rng, rng.int(0, 12));
      const [lo, hi] = rng.next() < 0.2 ? [p.type.min, p.type.max] : canonicalRange(p.type);
      return rng.next() < 0.5 ? rng.int(Math.max(lo, -40), Math.min(hi, 200)) : rng.int(lo, hi);
    });
    const bytes = m.encodeValues(values);
    if (parts.length + bytes.length > 59) break;
    parts.push(...bytes);
  }
  const r = rng.next();
  if (r < 0.1) parts.push(0x80, 0x7f, 1, 2); // id 127: not in any of these dictionaries
  else if (r < 0.2 && parts.length > 2) parts.length -= rng.int(1, 2); // last message reads the CRC
  return new Uint8Array(parts.slice(0, 59));
}

/** A reference dictionary plus firmware output() formats, which the current firmware no longer lists. */
function withOutputFormats(file: string): string {
  const json = JSON.parse(readFileSync(DICT_DIR + file, "utf8"));
  json.output = { "Stats %u: %.*s done": 120, "x=%i y=%hi [%*s]": 121, "plain text": 122, "c=%c h=%hu": 123 };
  return JSON.stringify(json);
}

describe.skipIf(!available)("same text as Klipper's parsedump.py on random streams", () => {
  const cases: [string, string, number][] = [
    ["atmega2560.dict", readFileSync(DICT_DIR + "atmega2560.dict", "utf8"), 11],
    ["stm32f103-serial.dict", readFileSync(DICT_DIR + "stm32f103-serial.dict", "utf8"), 12],
    ["linuxprocess.dict", readFileSync(DICT_DIR + "linuxprocess.dict", "utf8"), 13],
    ["rp2040.dict + output formats", withOutputFormats("rp2040.dict"), 14],
  ];
  for (const [label, dictText, seed] of cases) {
    test(label, () => {
      const dict = DataDictionary.fromJson(dictText);
      const rng = new Rng(seed);
      const sink = new TextSink();
      const pieces: Uint8Array[] = [];
      let blocks = 0;
      for (let i = 0; i < 1500; i++) {
        if (rng.next() < 0.1) pieces.push(rng.bytes(rng.int(1, 20)));
        const block = encodeBlock(i, randomPayload(rng, dict));
        // Klipper's tool dies on a message running past the sync byte; keep only blocks it survives.
        if (!dict.dumpBlock(block, sink)) continue;
        pieces.push(block);
        blocks++;
      }
      const dir = mkdtempSync(join(tmpdir(), "stepline-oracle-"));
      try {
        const stream = join(dir, "out.serial");
        const dictFile = join(dir, "klipper.dict");
        writeFileSync(stream, Buffer.concat(pieces));
        writeFileSync(dictFile, dictText);
        const py = Bun.spawnSync([PYTHON, join(klippyRoot(), "klippy/parsedump.py"), dictFile, stream], { stdout: "pipe", stderr: "pipe" });
        expect(py.exitCode).toBe(0);
        const out: Uint8Array[] = [];
        const dumper = new ParseDumper(dict, (t) => out.push(t));
        dumper.push(readFileSync(stream));
        dumper.end();
        const ours = Buffer.concat(out).toString("utf8").split("\n");
        const theirs = py.stdout.toString("utf8").split("\n");
        expect(ours.length).toBeGreaterThan(blocks);
        for (let i = 0; i < Math.max(ours.length, theirs.length); i++) {
          if (ours[i] !== theirs[i]) expect(`line ${i + 1}: ${ours[i]}`).toBe(`line ${i + 1}: ${theirs[i]}`);
        }
        expect(dumper.reader.stats.blocks).toBeGreaterThanOrEqual(blocks);
        if (label.includes("output")) expect(ours.filter((l) => l.startsWith("#output ")).length).toBeGreaterThan(10);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 30_000);
  }
});
