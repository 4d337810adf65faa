// `stepline batch printer.cfg -i input.gcode -o out.serial -d DICT [-d NAME=DICT ...]`:
// write the exact MCU byte stream a live run would send, like Klipper's batch mode.
import { runBatch } from "../batch/run.ts";
import { handBackStartupPages } from "./resident-pages.ts";
import { argsOrUsageError, dictionaryOptions, type OptionSpecs, parseArgs, UsageError } from "./args.ts";

const USAGE = "usage: stepline batch printer.cfg -i input.gcode -o out.serial -d DICT [-d NAME=DICT ...]";

interface BatchArgs {
  config: string;
  input: string;
  output: string;
  dicts: Record<string, string>;
}

const OPTIONS = {
  input: { names: ["-i", "--debuginput"] },
  output: { names: ["-o", "--debugoutput"] },
  dictionary: { names: ["-d", "--dictionary"] },
  // klippy's verbose and log-file options: accepted for drop-in use, without effect here
  verbose: { names: ["-v"], flag: true },
  logfile: { names: ["-l", "--logfile"] },
} satisfies OptionSpecs;

function readArgs(args: string[]): BatchArgs {
  const opts = parseArgs(args, OPTIONS, 1);
  const config = opts.positional[0];
  const input = opts.get("input");
  const output = opts.get("output");
  const dicts = dictionaryOptions(opts.all("dictionary"));
  if (config === undefined) throw new UsageError("missing printer config file");
  if (input === undefined) throw new UsageError("missing -i input.gcode");
  if (output === undefined) throw new UsageError("missing -o out.serial");
  if (!dicts.mcu) throw new UsageError("missing -d DICT for the main MCU");
  return { config, input, output, dicts };
}

export async function run(args: string[]): Promise<number> {
  const parsed = argsOrUsageError("batch", USAGE, () => readArgs(args));
  if (parsed === null) return 2;
  try {
    const res = await runBatch({
      ...parsed,
      respond: (line) => {
        if (line !== "ok") console.error(line);
      },
      // stderr is Klipper's batch output: only a refusal is worth a line there
      onStarted: () => {
        const pages = handBackStartupPages();
        if (!pages.ok) console.error(`stepline batch: ${pages.message}`);
      },
    });
    if (res.error !== null) {
      console.error(`stepline batch: ${res.error}`);
      // klippy exits with sys.exit(-1) after an error
      return res.result === "error_exit" ? 255 : 1;
    }
    console.error(`Exiting (print time ${res.printTime.toFixed(3)}s)`);
    return 0;
  } catch (e) {
    console.error(`stepline batch: ${(e as Error).message}`);
    return 1;
  }
}
