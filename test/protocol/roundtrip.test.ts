// Every command and response of every reference dictionary survives encode -> block -> decode with
// random in-range values, and the klippy-style text form encodes to the same bytes.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { BlockReader, canonicalRange, DataDictionary, encodeBlock, MESSAGE_PAYLOAD_MAX, type MessageFormat, packMessages, type ParamValue, ProtocolError } from "../../src/protocol/index.ts";
import { DICT_DIR, dictFiles } from "./helpers.ts";
import { Rng } from "../../scripts/lib/random.ts";

/** Random values for every parameter; `maxBits` shrinks integers when a message must get shorter. */
function randomValues(rng: Rng, m: MessageFormat, maxBits: number): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  let budget = MESSAGE_PAYLOAD_MAX - m.idBytes.length - m.params.length * Math.ceil(maxBits / 7);
  for (const p of m.params) {
    const [lo, hi] = canonicalRange(p.type);
    // Symbols whose value the wire type can carry (linux pin numbers exceed a %c, for one).
    const symbols = p.enumeration ? [...p.enumeration.bySymbol].filter(([, v]) => v >= lo && v <= hi).map(([k]) => k) : [];
    if (symbols.length && rng.next() < 0.8) {
      out[p.name] = rng.pick(symbols);
    } else if (p.type.isInt) {
      const bits = rng.int(1, maxBits);
      const top = Math.min(hi, 2 ** bits - 1);
      const bottom = Math.max(lo, -(2 ** (bits - 1)));
      out[p.name] = rng.int(bottom, top);
    } else {
      const len = rng.int(0, Math.max(0, Math.min(budget - 1, 40)));
      budget -= len + 1;
      out[p.name] = rng.bytes(len);
    }
  }
  return out;
}

/** The raw number an enum parameter's value stands for: decoding yields the last symbol of a value,
 *  or "?N" for a number without one. */
function comparable(m: MessageFormat, params: Record<string, ParamValue>): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  for (const p of m.params) {
    const v = params[p.name]!;
    if (typeof v !== "string" || !p.enumeration) out[p.name] = v;
    else out[p.name] = v.startsWith("?") ? Number(v.slice(1)) : p.enumeration.bySymbol.get(v)!;
  }
  return out;
}

function encodeFitting(rng: Rng, m: MessageFormat, encode: (v: Record<string, ParamValue>) => Uint8Array) {
  for (let bits = 32; ; bits = Math.max(1, bits - 6)) {
    const values = randomValues(rng, m, bits);
    try {
      return { values, bytes: encode(values) };
    } catch (e) {
      if (!(e instanceof ProtocolError) || !/more than the/.test(e.message) || bits === 1) throw e;
    }
  }
}

describe("encode/decode round trip over all reference dictionaries", () => {
  const files = dictFiles();
  test("the reference dictionary folder is there", () => {
    expect(files.length).toBeGreaterThanOrEqual(38);
  });

  let total = 0;
  for (const file of files) {
    test(file, () => {
      const dict = DataDictionary.fromJson(readFileSync(DICT_DIR + file, "utf8"));
      const rng = new Rng(0x5eed ^ file.length ^ (file.charCodeAt(0) << 8));
      const sent: { m: MessageFormat; values: Record<string, ParamValue> }[] = [];
      const encoded: Uint8Array[] = [];
      for (let round = 0; round < 8; round++) {
        for (const m of dict.messages) {
          if (m.kind === "output") continue;
          const enc = m.kind === "command" ? (v: Record<string, ParamValue>) => dict.encodeCommand(m.name, v) : (v: Record<string, ParamValue>) => dict.encodeResponse(m.name, v);
          const { values, bytes } = encodeFitting(rng, m, enc);
          sent.push({ m, values });
          encoded.push(bytes);

          // A message alone decodes to itself.
          const [decoded, ...extra] = dict.decodeMessages(bytes);
          expect(extra).toEqual([]);
          expect(decoded!.name).toBe(m.name);
          expect(comparable(m, decoded!.params)).toEqual(comparable(m, values));

          // The text Klipper prints is valid klippy command syntax unless it holds a buffer or a
          // number an enumeration has no name for.
          const textual = m.params.every((p) => p.type.isInt && !String(decoded!.params[p.name]).startsWith("?"));
          if (m.kind === "command" && textual) {
            expect(dict.encodeCommandText(dict.formatMessage(decoded!))).toEqual(bytes);
          }
        }
      }

      // All of them, packed into blocks and read back through the block reader in odd-sized chunks.
      const stream = Buffer.concat(packMessages(encoded).map((p, i) => encodeBlock(i, p)));
      const reader = new BlockReader();
      const got: ReturnType<DataDictionary["decodeMessages"]> = [];
      for (let pos = 0; pos < stream.length; ) {
        const n = rng.int(1, 100);
        reader.push(stream.subarray(pos, pos + n));
        pos += n;
        for (let b = reader.next(); b; b = reader.next()) got.push(...dict.decodeMessages(b.payload));
      }
      expect(reader.stats.bytesDiscarded).toBe(0);
      expect(got.length).toBe(sent.length);
      for (let i = 0; i < sent.length; i++) {
        expect(got[i]!.name).toBe(sent[i]!.m.name);
        expect(comparable(sent[i]!.m, got[i]!.params)).toEqual(comparable(sent[i]!.m, sent[i]!.values));
      }
      total += sent.length;
    });
  }

  test("summary", () => {
    console.log(`round trip: ${total} messages over ${files.length} dictionaries`);
    expect(total).toBeGreaterThan(files.length * 8 * 40);
  });
});
