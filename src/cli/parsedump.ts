// `stepline parsedump DICT FILE`: decode an MCU byte stream (FILE may be gzipped) into the same text
// Klipper's klippy/parsedump.py prints. Streams input and output, so size does not matter.
import { DataDictionary, ParseDumper, ProtocolError } from "../protocol/index.ts";
import { argsOrUsageError, parseArgs } from "./args.ts";

const USAGE = "usage: stepline parsedump DICT FILE   (FILE may end in .gz)";

/** The bytes of a file, gunzipped on the fly when it is gzip data. */
export async function* readStream(path: string): AsyncGenerator<Uint8Array> {
  const file = Bun.file(path);
  const head = new Uint8Array(await file.slice(0, 2).arrayBuffer());
  const gzip = head[0] === 0x1f && head[1] === 0x8b;
  const stream = gzip ? file.stream().pipeThrough(new DecompressionStream("gzip")) : file.stream();
  for await (const chunk of stream) yield chunk as Uint8Array;
}

export async function run(args: string[]): Promise<number> {
  const parsed = argsOrUsageError("parsedump", USAGE, () => parseArgs(args, {}, 2));
  if (parsed === null) return 2;
  const { positional } = parsed;
  if (positional.length !== 2) {
    console.error(USAGE);
    return 2;
  }
  const [dictPath, dataPath] = positional as [string, string];
  for (const p of [dictPath, dataPath]) {
    if (!(await Bun.file(p).exists())) {
      console.error(`stepline parsedump: no such file '${p}'`);
      return 1;
    }
  }
  let dict: DataDictionary;
  try {
    dict = DataDictionary.fromJson(await Bun.file(dictPath).text());
  } catch (e) {
    console.error(`stepline parsedump: ${dictPath}: ${e instanceof ProtocolError ? e.message : String(e)}`);
    return 1;
  }
  const ready: Uint8Array[] = [];
  const dumper = new ParseDumper(dict, (text) => void ready.push(text));
  const drain = async () => {
    for (const text of ready.splice(0)) await Bun.write(Bun.stdout, text);
  };
  try {
    for await (const chunk of readStream(dataPath)) {
      dumper.push(chunk);
      await drain();
    }
    dumper.end();
    await drain();
  } catch (e) {
    // The reader of our output went away (`| head`): stop quietly, like any Unix filter.
    if ((e as { code?: string }).code === "EPIPE") return 0;
    console.error(`stepline parsedump: ${dataPath}: ${(e as Error).message}`);
    return 1;
  }
  const { stats } = dumper.reader;
  if (stats.bytesDiscarded) {
    console.error(`stepline parsedump: discarded ${stats.bytesDiscarded} bytes of invalid data (bad length ${stats.badLength}, bad frame ${stats.badFrame}, bad CRC ${stats.badCrc})`);
  }
  if (dumper.reader.buffered) console.error(`stepline parsedump: ${dumper.reader.buffered} bytes of an incomplete block at the end`);
  for (const p of dumper.problems) console.error(`stepline parsedump: ${p.message}`);
  return 0;
}
