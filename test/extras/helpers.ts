// Helpers for extras tests: a real batch run of a config (the toolhead tests' runGcode) with its
// output as parsedump text lines, and the check-config errors of a config text.
import { checkConfig } from "../../src/cli/check-config.ts";
import { dictPath } from "../support/reference.ts";
import { TempDir } from "../support/temp-dir.ts";
import { runGcode } from "../toolhead/batch-helpers.ts";

/** Run `gcode` on config text (atmega2560 dictionary); lines are empty when the run failed. */
export async function batchLines(cfgText: string, gcode: string): Promise<{ error: string | null; lines: string[]; responses: string[] }> {
  const r = await runGcode(cfgText, gcode);
  const error = r.result.error;
  return { error, lines: error === null ? r.messages.map((m) => r.dict.formatMessage(m)) : [], responses: r.responses };
}

/** check-config errors for a config text (with the atmega2560 dictionary). */
export async function configErrors(text: string): Promise<string[]> {
  const dir = new TempDir("stepline-extras-");
  try {
    const r = await checkConfig(dir.write("printer.cfg", text), { dicts: { mcu: dictPath("atmega2560.dict") } });
    return r.errors;
  } finally {
    dir.remove();
  }
}
