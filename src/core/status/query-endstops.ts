// [query_endstops] (always present): QUERY_ENDSTOPS / M119 report every endstop as "open" or
// "TRIGGERED", and the "query_endstops" status object keeps the last answer (last_query).
import type { GCodeCommand } from "../gcode/command.ts";
import type { McuEndstop } from "../../motion/homing-endstop.ts";
import { type Printer, registerModule } from "../printer.ts";

/** What a live MCU answers an endstop query with. */
interface QueryMcu {
  isBatch(): boolean;
  printTimeToClock(printTime: number): number;
  query(line: string, response: string, opts: { oid?: number; minClock?: number }): Promise<{ params: Record<string, unknown> }>;
}

/**
 * The pin level of one endstop (1 = triggered). Batch output has no MCU to ask (open). A live
 * MCU answers endstop_query_state; the endstop's own live query is still missing (see
 * /work/notes/live-needs.md item 6), so it is asked here with the endstop's oid and inversion.
 */
export async function queryEndstop(es: McuEndstop, printTime: number): Promise<number> {
  const mcu = es.getMcu() as unknown as QueryMcu;
  if (mcu.isBatch()) return es.queryEndstop(printTime);
  const invert = (es as unknown as { params: { invert: number } }).params.invert;
  const r = await mcu.query(`endstop_query_state oid=${es.oid}`, "endstop_state", { oid: es.oid, minClock: mcu.printTimeToClock(printTime) });
  return Number(r.params.pin_value) ^ invert;
}

interface LastMoveTime {
  getLastMoveTime(): number;
}

export class QueryEndstops {
  private readonly endstops: [McuEndstop, string][] = [];
  private lastState: [string, number][] = [];

  constructor(private readonly printer: Printer) {
    const run = (g: GCodeCommand) => this.cmdQueryEndstops(g);
    printer.gcode.register("QUERY_ENDSTOPS", run, { desc: "Report on the status of each endstop" });
    printer.gcode.register("M119", run);
  }

  registerEndstop(endstop: McuEndstop, name: string): void {
    this.endstops.push([endstop, name]);
  }

  /** Ask every endstop now (after queued moves); name → 0/1. */
  async queryAll(): Promise<Record<string, number>> {
    const th = this.printer.lookupObject<LastMoveTime>("toolhead", null);
    const printTime = th ? th.getLastMoveTime() : 0;
    const state: [string, number][] = [];
    for (const [es, name] of this.endstops) state.push([name, await queryEndstop(es, printTime)]);
    this.lastState = state;
    return Object.fromEntries(state);
  }

  private async cmdQueryEndstops(g: GCodeCommand): Promise<void> {
    const state = await this.queryAll();
    g.respondRaw(Object.entries(state).map(([n, t]) => `${n}:${t ? "TRIGGERED" : "open"}`).join(" "));
  }

  getStatus(_eventtime?: number): { last_query: Record<string, number> } {
    return { last_query: Object.fromEntries(this.lastState) };
  }
}

registerModule("query_endstops", (_config, printer) => new QueryEndstops(printer), { always: true });
