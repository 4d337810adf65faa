// `stepline batch printer.cfg -i input.gcode -o out.serial -d DICT [-d NAME=DICT ...]`:
// write the exact MCU byte stream a live run would send, like Klipper's batch mode.
import { runBatch } from "../batch/run.ts";

const USAGE = "usage: stepline batch printer.cfg -i input.gcode -o out.serial -d DICT [-d NAME=DICT ...]";

interface BatchArgs {
  config: string;
  input: string;
  output: string;
  dicts: Record<string, string>;
}

function parseArgs(args: string[]): BatchArgs | string {
  let config: string | null = null, input: string | null = null, output: string | null = null;
  const dicts: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = () => {
      const v = args[++i];
      if (v === undefined) throw new Error(`option ${a} needs a value`);
      return v;
    };
    try {
      if (a === "-i" || a === "--debuginput") input = value();
      else if (a === "-o" || a === "--debugoutput") output = value();
      else if (a === "-d" || a === "--dictionary") {
        const v = value();
        const eq = v.indexOf("=");
        if (eq > 0) dicts[v.slice(0, eq)] = v.slice(eq + 1);
        else dicts.mcu = v;
      } else if (a === "-v" || a.startsWith("-l")) {
        if (a === "-l") i++;
      } else if (a.startsWith("-")) return `unknown option '${a}'`;
      else if (config === null) config = a;
      else return `unexpected argument '${a}'`;
    } catch (e) {
      return (e as Error).message;
    }
  }
  if (config === null) return "missing printer config file";
  if (input === null) return "missing -i input.gcode";
  if (output === null) return "missing -o out.serial";
  if (!dicts.mcu) return "missing -d DICT for the main MCU";
  return { config, input, output, dicts };
}

export async function run(args: string[]): Promise<number> {
  const parsed = parseArgs(args);
  if (typeof parsed === "string") {
    console.error(`stepline batch: ${parsed}\n${USAGE}`);
    return 2;
  }
  try {
    const res = await runBatch({ ...parsed, respond: (line) => {
      if (line !== "ok") console.error(line);
    } });
    if (res.error !== null) {
      console.error(`stepline batch: ${res.error}`);
      return 1;
    }
    console.error(`Exiting (print time ${res.printTime.toFixed(3)}s)`);
    return 0;
  } catch (e) {
    console.error(`stepline batch: ${(e as Error).message}`);
    return 1;
  }
}
