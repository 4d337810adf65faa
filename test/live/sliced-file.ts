// A short sliced print for the live tests, written like a slicer's output: header comments,
// absolute moves, relative-free absolute extrusion (M82), retractions, a few layers of a square
// with a diagonal infill line. It only moves; heating and homing are the printer's business.

export interface SlicedFileOptions {
  /** Lower left corner and side of the square (mm). */
  x0?: number;
  y0?: number;
  side?: number;
  layers?: number;
  /** Print speed (mm/min). */
  feed?: number;
  /** Extra lines inserted before layer N (1-based), e.g. a bad line. */
  insertBeforeLayer?: { layer: number; lines: string[] };
}

export function slicedFile(opts: SlicedFileOptions = {}): string {
  const x0 = opts.x0 ?? 60, y0 = opts.y0 ?? 60, side = opts.side ?? 20, layers = opts.layers ?? 3, feed = opts.feed ?? 3000;
  const out = [
    ";FLAVOR:Marlin",
    ";Generated for the stepline live tests",
    `;LAYER_COUNT:${layers}`,
    "G90",
    "M82 ;absolute extrusion mode",
    "G92 E0",
  ];
  let e = 0;
  const extrude = (x: number, y: number, len: number) => {
    e += len * 0.033;
    out.push(`G1 F${feed} X${x.toFixed(3)} Y${y.toFixed(3)} E${e.toFixed(5)}`);
  };
  for (let layer = 1; layer <= layers; layer++) {
    if (opts.insertBeforeLayer?.layer === layer) out.push(...opts.insertBeforeLayer.lines);
    const z = 0.2 * layer;
    out.push(`;LAYER:${layer - 1}`, `G1 F1500 E${(e - 1).toFixed(5)}`, `G0 F6000 X${x0} Y${y0} Z${z.toFixed(2)}`, `G1 F1500 E${e.toFixed(5)}`);
    extrude(x0 + side, y0, side);
    extrude(x0 + side, y0 + side, side);
    extrude(x0, y0 + side, side);
    extrude(x0, y0, side);
    extrude(x0 + side, y0 + side, side * Math.SQRT2);
  }
  out.push(`G1 F1500 E${(e - 2).toFixed(5)}`, "G0 F6000 Z10", ";End of Gcode", "");
  return out.join("\n");
}
