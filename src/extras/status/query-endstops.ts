// [query_endstops] (always present): QUERY_ENDSTOPS / M119 report every endstop as "open" or
// "TRIGGERED", and the "query_endstops" status object keeps the last answer (last_query); the
// query_endstops/status webhooks endpoint answers the same under the G-code mutex.
import type { GCodeCommand } from "../../core/gcode/command.ts";
import type { McuEndstop } from "../../core/mcu-pins/mcu-endstop.ts";
import { type Printer, registerModule } from "../../core/printer.ts";

function stateWords(state: Record<string, number>): Record<string, "open" | "TRIGGERED"> {
  return Object.fromEntries(Object.entries(state).map(([n, t]) => [n, t ? "TRIGGERED" : "open"]));
}

export class QueryEndstops {
  private readonly endstops: [McuEndstop, string][] = [];
  private lastState: [string, number][] = [];

  constructor(private readonly printer: Printer) {
    const run = (g: GCodeCommand) => this.cmdQueryEndstops(g);
    printer.gcode.register("QUERY_ENDSTOPS", run, { desc: "Report on the status of each endstop" });
    printer.gcode.register("M119", run);
    printer.webhooks.registerEndpoint("query_endstops/status", () => printer.gcode.mutex.run(async () => stateWords(await this.queryAll())));
  }

  registerEndstop(endstop: McuEndstop, name: string): void {
    this.endstops.push([endstop, name]);
  }

  /** Ask every endstop now (after queued moves); name → 0/1. */
  async queryAll(): Promise<Record<string, number>> {
    const th = this.printer.lookupObject("toolhead", null);
    const printTime = th ? th.getLastMoveTime() : 0;
    const state: [string, number][] = [];
    for (const [es, name] of this.endstops) state.push([name, await es.queryEndstop(printTime)]);
    this.lastState = state;
    return Object.fromEntries(state);
  }

  private async cmdQueryEndstops(g: GCodeCommand): Promise<void> {
    const state = await this.queryAll();
    g.respondRaw(Object.entries(stateWords(state)).map(([n, w]) => `${n}:${w}`).join(" "));
  }

  getStatus(_eventtime?: number): { last_query: Record<string, number> } {
    return { last_query: Object.fromEntries(this.lastState) };
  }
}

registerModule("query_endstops", (_config, printer) => new QueryEndstops(printer), { always: true });
