// [bed_screws]: BED_SCREWS_ADJUST walks the nozzle to each bed screw (then optional fine-adjust
// points) and waits for ACCEPT / ADJUSTED / ABORT, until every screw was accepted in one pass.
import { ConfigError } from "../../core/config/errors.ts";
import type { ConfigSection } from "../../core/config/section.ts";
import type { GCodeCommand } from "../../core/gcode/command.ts";
import { type Printer, registerModule } from "../../core/printer.ts";
import type { MaybePromise } from "../../util/maybe-async.ts";
import { runMaybeAsync } from "../../util/maybe-async.ts";

type Screw = [coord: [number, number], name: string];

/** screwN (x, y) options with optional screwN_name; at least `min` of them. */
export function readScrews(config: ConfigSection, min: number, what: string, extra?: (prefix: string, name: string) => void): Screw[] {
  const screws: Screw[] = [];
  for (let i = 1; i < 100; i++) {
    const prefix = `screw${i}`;
    if (config.get(prefix, null) === null) break;
    const coord = config.getFloatList(prefix, undefined, { count: 2 }) as [number, number];
    const name = config.get(`${prefix}_name`, `screw at ${coord[0].toFixed(3)},${coord[1].toFixed(3)}`);
    screws.push([coord, name]);
    extra?.(prefix, name);
  }
  if (screws.length < min) throw new ConfigError(`${what}: Must have at least three screws (section '${config.getName()}')`);
  return screws;
}

class BedScrews {
  private readonly states: Record<"adjust" | "fine", Screw[]>;
  private readonly speed: number;
  private readonly liftSpeed: number;
  private readonly horizontalMoveZ: number;
  private readonly probeZ: number;
  private readonly count: number;
  private state: "adjust" | "fine" | null = null;
  private currentScrew = 0;
  private accepted = 0;

  constructor(config: ConfigSection, private readonly printer: Printer) {
    const fine: Screw[] = [];
    const screws = readScrews(config, 3, "bed_screws", (prefix, name) => {
      if (config.get(`${prefix}_fine_adjust`, null) !== null)
        fine.push([config.getFloatList(`${prefix}_fine_adjust`, undefined, { count: 2 }) as [number, number], name]);
    });
    this.count = screws.length;
    this.states = { adjust: screws, fine };
    this.speed = config.getFloat("speed", 50, { above: 0 });
    this.liftSpeed = config.getFloat("probe_speed", 5, { above: 0 });
    this.horizontalMoveZ = config.getFloat("horizontal_move_z", 5);
    this.probeZ = config.getFloat("probe_height", 0);
    printer.gcode.register("BED_SCREWS_ADJUST", (g) => this.cmdAdjust(g), { desc: "Tool to help adjust bed leveling screws" });
  }

  private reset(): void {
    this.state = null;
    this.currentScrew = 0;
    this.accepted = 0;
  }

  private *move(coord: (number | null)[], speed: number): Generator<unknown, void, unknown> {
    try {
      yield this.printer.lookupObject("toolhead").manualMove(coord, speed);
    } catch (e) {
      this.unregister();
      this.reset();
      throw e;
    }
  }

  private *moveToScrew(state: "adjust" | "fine", screw: number): Generator<unknown, void, unknown> {
    // up, over, then down to the screw
    yield* this.move([null, null, this.horizontalMoveZ], this.liftSpeed);
    const [coord, name] = this.states[state][screw]!;
    yield* this.move([coord[0], coord[1], this.horizontalMoveZ], this.speed);
    yield* this.move([coord[0], coord[1], this.probeZ], this.liftSpeed);
    this.state = state;
    this.currentScrew = screw;
    this.printer.gcode.respondInfo(`Adjust ${name}. Then run ACCEPT, ADJUSTED, or ABORT\nUse ADJUSTED if a significant screw adjustment is made`);
    const gcode = this.printer.gcode;
    gcode.register("ACCEPT", (g) => this.cmdAccept(g), { desc: "Accept bed screw position" });
    gcode.register("ADJUSTED", (g) => this.cmdAdjusted(g), { desc: "Accept bed screw position after notable adjustment" });
    gcode.register("ABORT", () => {
      this.unregister();
      this.reset();
    }, { desc: "Abort bed screws tool" });
  }

  private unregister(): void {
    for (const c of ["ACCEPT", "ADJUSTED", "ABORT"]) this.printer.gcode.register(c, null);
  }

  private cmdAdjust(g: GCodeCommand): MaybePromise<void> {
    if (this.state !== null) throw g.error("Already in bed_screws helper; use ABORT to exit");
    this.accepted = 0;
    const self = this;
    return runMaybeAsync((function* () {
      yield* self.move([null, null, self.horizontalMoveZ], self.speed);
      yield* self.moveToScrew("adjust", 0);
    })());
  }

  private cmdAccept(g: GCodeCommand): MaybePromise<void> {
    this.unregister();
    this.accepted++;
    const self = this;
    return runMaybeAsync((function* () {
      const state = self.state!;
      if (self.currentScrew + 1 < self.states[state].length && self.accepted < self.count) {
        yield* self.moveToScrew(state, self.currentScrew + 1);
        return;
      }
      if (self.accepted < self.count) {
        yield* self.moveToScrew("adjust", 0); // another coarse pass
        return;
      }
      if (state === "adjust" && self.states.fine.length) {
        self.accepted = 0;
        yield* self.moveToScrew("fine", 0);
        return;
      }
      self.reset();
      yield* self.move([null, null, self.horizontalMoveZ], self.liftSpeed);
      g.respondInfo("Bed screws tool completed successfully");
    })());
  }

  private cmdAdjusted(g: GCodeCommand): MaybePromise<void> {
    this.unregister();
    this.accepted = -1;
    return this.cmdAccept(g);
  }

  getStatus(): Record<string, unknown> {
    return { is_active: this.state !== null, state: this.state, current_screw: this.currentScrew, accepted_screws: this.accepted };
  }
}

registerModule("bed_screws", (config, printer) => new BedScrews(config, printer));
