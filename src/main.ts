#!/usr/bin/env bun
// Stepline entry point: dispatches to one subcommand module per job.
import pkg from "../package.json" with { type: "json" };
import { restartWithApplianceRuntime } from "./cli/appliance-runtime.ts";
import { useBatchJitPolicy, useNormalJitPolicy } from "./cli/jit-policy.ts";

type Command = { summary: string; load: () => Promise<{ run(args: string[]): Promise<number> }> };

const commands: Record<string, Command> = {
  run: { summary: "run the appliance (default: the built-in virtual printer)", load: () => import("./cli/run.ts") },
  batch: { summary: "batch printer.cfg -i input.gcode -o out.serial -d DICT [-d NAME=DICT]: write the MCU byte stream offline", load: () => import("./cli/batch.ts") },
  parsedump: { summary: "parsedump DICT FILE: decode an MCU byte stream like Klipper's parsedump", load: () => import("./cli/parsedump.ts") },
  vmcu: { summary: "vmcu --pty PATH [--clock-freq HZ] [--hardware FILE] [--dict-out FILE]: run the virtual Klipper MCU on a pseudo-terminal", load: () => import("./cli/vmcu.ts") },
  "check-config": { summary: "check-config printer.cfg: load and validate a config", load: () => import("./cli/check-config.ts") },
};

function usage(): string {
  const lines = [`stepline ${pkg.version} — 3D-printer host speaking Klipper's MCU protocol`, "", "usage: stepline [COMMAND] [ARGS]", ""];
  for (const [name, c] of Object.entries(commands)) lines.push(`  ${name.padEnd(14)}${c.summary}`);
  lines.push("", "  --version     print the version", "  --help        this text", "", "With no command, `stepline` runs the built-in virtual printer.");
  return lines.join("\n");
}

async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === "--version" || first === "-V") {
    console.log(`stepline ${pkg.version}`);
    return 0;
  }
  if (first === "--help" || first === "-h" || first === "help") {
    console.log(usage());
    return 0;
  }
  // no command, only options: `run`
  const implicitRun = first === undefined || first.startsWith("-");
  if (implicitRun || first === "run") restartWithApplianceRuntime();
  if (implicitRun) return (await commands.run!.load()).run(argv);
  const cmd = commands[first];
  if (!cmd) {
    console.error(`stepline: unknown command '${first}'\n\n${usage()}`);
    return 2;
  }
  // `run` sets its own once the printer is up; the others are steady work from the start
  if (first === "batch") useBatchJitPolicy();
  else if (first !== "run") useNormalJitPolicy();
  return (await cmd.load()).run(rest);
}

// No top-level await: `bun build --bytecode` needs a CommonJS bundle
void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
