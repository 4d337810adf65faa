// [exclude_object] (Klipper's exclude_object): labelled objects of a print
// (EXCLUDE_OBJECT_DEFINE / _START / _END) and cancelling some of them
// (EXCLUDE_OBJECT NAME=...). Once anything is excluded, a move transform sits
// in front of the toolhead: moves inside an excluded object are dropped, and
// the position offset they leave (X/Y/Z and E) is taken out again when
// printing resumes elsewhere.
import type { ConfigSection } from "../../core/config/section.ts";
import type { GCodeCommand } from "../../core/gcode/command.ts";
import { GCodeError } from "../../core/gcode/errors.ts";
import { type Printer, registerModule } from "../../core/printer.ts";
import type { GCodeMove, MoveTarget } from "../../motion/gcode-move.ts";

type ObjectDefinition = Record<string, unknown> & { name: string };

export class ExcludeObject implements MoveTarget {
  objects: ObjectDefinition[] = [];
  excludedObjects: string[] = [];
  currentObject: string | null = null;
  private inExcludedRegion = false;
  private nextTransform: MoveTarget | null = null;
  private lastPosition = [0, 0, 0, 0];
  private lastPositionExtruded = [0, 0, 0, 0];
  private lastPositionExcluded = [0, 0, 0, 0];
  private extrusionOffsets = new Map<string, number[]>();
  private maxPositionExtruded = 0;
  private maxPositionExcluded = 0;
  private extruderAdj = 0;
  /** Moves to watch after the transform is installed, to learn the extruder state. */
  private initialExtrusionMoves = 5;

  constructor(private readonly gcodeMove: GCodeMove, private readonly activeExtruderName: () => string,
    private readonly respondInfo: (msg: string) => void) {}

  private registerTransform(): void {
    if (this.nextTransform) return;
    this.nextTransform = this.gcodeMove.setMoveTransform(this, true) ?? this.gcodeMove.toolheadTarget();
    this.extrusionOffsets = new Map();
    this.maxPositionExtruded = 0;
    this.maxPositionExcluded = 0;
    this.extruderAdj = 0;
    this.initialExtrusionMoves = 5;
    this.lastPosition = [0, 0, 0, 0];
    this.getPosition();
    this.lastPositionExtruded = this.lastPosition.slice();
    this.lastPositionExcluded = this.lastPosition.slice();
  }

  private unregisterTransform(): void {
    if (!this.nextTransform) return;
    this.gcodeMove.setMoveTransform(this.nextTransform, true);
    this.nextTransform = null;
    this.gcodeMove.resetLastPosition();
  }

  resetFile(): void {
    this.objects = [];
    this.excludedObjects = [];
    this.currentObject = null;
    this.inExcludedRegion = false;
    this.unregisterTransform();
  }

  private offsets(n: number): number[] {
    const name = this.activeExtruderName();
    let off = this.extrusionOffsets.get(name);
    if (!off) {
      off = new Array<number>(n).fill(0);
      this.extrusionOffsets.set(name, off);
    }
    while (off.length < n) off.push(0);
    return off;
  }

  getPosition(): number[] {
    const pos = this.nextTransform!.getPosition();
    const off = this.offsets(pos.length);
    this.lastPosition = pos.map((p, i) => p + off[i]!);
    return this.lastPosition.slice();
  }

  private normalMove(newpos: readonly number[], speed: number): void | Promise<void> {
    const off = this.offsets(newpos.length);
    if (this.initialExtrusionMoves > 0 && this.lastPosition[3] !== newpos[3]) this.initialExtrusionMoves--;
    this.lastPosition = newpos.slice();
    this.lastPositionExtruded = this.lastPosition.slice();
    this.maxPositionExtruded = Math.max(this.maxPositionExtruded, newpos[3]!);
    // Leaving an excluded object: drop the X/Y/Z offset on the first XY move
    // away from where the excluded object ended, the E offset when E moves
    const lx = this.lastPositionExcluded;
    if ((off[0] !== 0 || off[1] !== 0) && (newpos[0] !== lx[0] || newpos[1] !== lx[1])) {
      for (let i = 0; i < newpos.length; i++) if (i !== 3) off[i] = 0;
      off[3] = off[3]! + this.extruderAdj;
      this.extruderAdj = 0;
    }
    if (off[2] !== 0 && newpos[2] !== lx[2]) off[2] = 0;
    if (this.extruderAdj !== 0 && newpos[3] !== lx[3]) {
      off[3] = off[3]! + this.extruderAdj;
      this.extruderAdj = 0;
    }
    return this.nextTransform!.move(newpos.map((p, i) => p - off[i]!), speed);
  }

  private ignoreMove(newpos: readonly number[]): void {
    const off = this.offsets(newpos.length);
    for (let i = 0; i < newpos.length; i++) if (i !== 3) off[i] = newpos[i]! - this.lastPositionExtruded[i]!;
    off[3] = off[3]! + newpos[3]! - this.lastPosition[3]!;
    this.lastPosition = newpos.slice();
    this.lastPositionExcluded = this.lastPosition.slice();
    this.maxPositionExcluded = Math.max(this.maxPositionExcluded, newpos[3]!);
  }

  private testInExcludedRegion(): boolean {
    return this.currentObject !== null && this.excludedObjects.includes(this.currentObject) && this.initialExtrusionMoves === 0;
  }

  move(newpos: readonly number[], speed: number): void | Promise<void> {
    if (this.testInExcludedRegion()) {
      this.inExcludedRegion = true;
      this.ignoreMove(newpos);
      return;
    }
    if (this.inExcludedRegion) {
      this.inExcludedRegion = false;
      // Compensate retraction differences between the excluded and the printed object
      this.extruderAdj = this.maxPositionExcluded - this.lastPositionExcluded[3]! -
        (this.maxPositionExtruded - this.lastPositionExtruded[3]!);
    }
    return this.normalMove(newpos, speed);
  }

  private addObjectDefinition(def: ObjectDefinition): void {
    this.objects = [...this.objects, def].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  excludeObject(name: string): void {
    this.registerTransform();
    this.respondInfo(`Excluding object ${name.toUpperCase()}`);
    if (!this.excludedObjects.includes(name)) this.excludedObjects = [...this.excludedObjects, name].sort();
  }

  unexcludeObject(name: string): void {
    this.respondInfo(`Unexcluding object ${name.toUpperCase()}`);
    this.excludedObjects = this.excludedObjects.filter((n) => n !== name);
  }

  cmdStart(g: GCodeCommand): void {
    const name = g.get("NAME").toUpperCase();
    if (!this.objects.some((o) => o.name === name)) this.addObjectDefinition({ name });
    this.currentObject = name;
  }

  cmdEnd(g: GCodeCommand): void {
    if (this.currentObject === null && this.nextTransform) {
      g.respondInfo("EXCLUDE_OBJECT_END called, but no object is currently active");
      return;
    }
    const name = g.get("NAME", null);
    if (name !== null && name.toUpperCase() !== this.currentObject)
      g.respondInfo(`EXCLUDE_OBJECT_END NAME=${name.toUpperCase()} does not match the current object NAME=${this.currentObject}`);
    this.currentObject = null;
  }

  cmdExclude(g: GCodeCommand): void {
    const reset = g.get("RESET", null);
    const current = g.get("CURRENT", null);
    const name = g.get("NAME", "").toUpperCase();
    if (reset) {
      if (name) this.unexcludeObject(name);
      else this.excludedObjects = [];
    } else if (name) {
      if (!this.excludedObjects.includes(name)) this.excludeObject(name);
    } else if (current) {
      if (!this.currentObject) throw new GCodeError("There is no current object to cancel");
      this.excludeObject(this.currentObject);
    } else {
      g.respondInfo(`Excluded objects: ${this.excludedObjects.join(" ")}`);
    }
  }

  cmdDefine(g: GCodeCommand): void {
    const reset = g.get("RESET", null);
    const name = g.get("NAME", "").toUpperCase();
    if (reset) {
      this.resetFile();
    } else if (name) {
      const params: Record<string, unknown> = { ...g.getCommandParameters() };
      delete params.NAME;
      const center = params.CENTER as string | undefined;
      const polygon = params.POLYGON as string | undefined;
      delete params.CENTER;
      delete params.POLYGON;
      const obj: ObjectDefinition = { name, ...params };
      try {
        if (center !== undefined) obj.center = JSON.parse(`[${center}]`);
        if (polygon !== undefined) obj.polygon = JSON.parse(polygon);
      } catch {
        throw new GCodeError(`Invalid CENTER or POLYGON in '${g.getCommandline()}'`);
      }
      this.addObjectDefinition(obj);
    } else if (g.get("JSON", null) !== null) {
      g.respondInfo(`Known objects: ${JSON.stringify(this.objects)}`);
    } else {
      g.respondInfo(`Known objects: ${this.objects.map((o) => o.name).join(" ")}`);
    }
  }

  getStatus(): Record<string, unknown> {
    return { objects: this.objects, excluded_objects: this.excludedObjects, current_object: this.currentObject };
  }
}

registerModule("exclude_object", (_config: ConfigSection, printer: Printer) => {
  const gcodeMove = printer.loadObject("gcode_move");
  const eo = new ExcludeObject(
    gcodeMove,
    () => printer.lookupObject("toolhead").getExtruder().getName(),
    (msg) => printer.gcode.respondInfo(msg),
  );
  const gcode = printer.gcode;
  gcode.register("EXCLUDE_OBJECT_START", (g) => eo.cmdStart(g), { desc: "Marks the beginning the current object as labeled" });
  gcode.register("EXCLUDE_OBJECT_END", (g) => eo.cmdEnd(g), { desc: "Marks the end the current object" });
  gcode.register("EXCLUDE_OBJECT", (g) => eo.cmdExclude(g), { desc: "Cancel moves inside a specified objects" });
  gcode.register("EXCLUDE_OBJECT_DEFINE", (g) => eo.cmdDefine(g), { desc: "Provides a summary of an object" });
  printer.registerEventHandler("virtual_sdcard:reset_file", () => eo.resetFile());
  return eo;
});
