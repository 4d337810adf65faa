// Temperature chart on a canvas: one line per sensor (targets dashed), the last ten minutes at one
// sample per second, seeded from server.temperature_store and extended from live status.

export interface Series {
  name: string;
  color: string;
  temps: number[];
  /** Empty for plain sensors (no target). */
  targets: number[];
}

const WINDOW = 600;
const KEEP = 1200;

export const SERIES_COLORS = ["#ff6b4a", "#4aa8ff", "#7bd66b", "#e0c14a", "#c77dff", "#4ad6c8"];

export class TempChart {
  readonly series = new Map<string, Series>();
  private samples = 0;

  constructor(private readonly canvas: HTMLCanvasElement) {}

  ensure(name: string): Series {
    let s = this.series.get(name);
    if (!s) {
      s = { name, color: SERIES_COLORS[this.series.size % SERIES_COLORS.length]!, temps: [], targets: [] };
      this.series.set(name, s);
    }
    return s;
  }

  /** Replace the history of one sensor (oldest first) from the temperature store. */
  seed(name: string, temps: number[], targets: number[] | undefined): void {
    const s = this.ensure(name);
    s.temps = temps.slice(-KEEP);
    s.targets = (targets ?? []).slice(-KEEP);
  }

  /** One sample per sensor (called once a second). */
  push(name: string, temp: number, target: number | null): void {
    const s = this.ensure(name);
    s.temps.push(temp);
    if (target !== null) s.targets.push(target);
    if (s.temps.length > KEEP) s.temps.splice(0, s.temps.length - KEEP);
    if (s.targets.length > KEEP) s.targets.splice(0, s.targets.length - KEEP);
    this.samples++;
    this.canvas.dataset.samples = String(this.samples);
  }

  draw(): void {
    const c = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    const w = c.clientWidth;
    const hgt = c.clientHeight;
    if (w === 0 || hgt === 0) return;
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(hgt * dpr)) {
      c.width = Math.round(w * dpr);
      c.height = Math.round(hgt * dpr);
    }
    const g = c.getContext("2d");
    if (!g) return;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, hgt);
    let max = 50;
    for (const s of this.series.values()) {
      for (const v of s.temps.slice(-WINDOW)) if (v > max) max = v;
      for (const v of s.targets.slice(-WINDOW)) if (v > max) max = v;
    }
    max = Math.ceil((max + 10) / 50) * 50;
    const left = 34;
    const plotW = w - left - 4;
    const plotH = hgt - 16;
    const y = (v: number) => 4 + plotH - (v / max) * plotH;
    const x = (i: number, n: number) => left + plotW - (n - 1 - i) * (plotW / (WINDOW - 1));
    g.font = "11px system-ui, sans-serif";
    g.fillStyle = "#8a94a6";
    g.strokeStyle = "#2a3140";
    g.lineWidth = 1;
    for (let v = 0; v <= max; v += max > 150 ? 50 : 25) {
      g.beginPath();
      g.moveTo(left, y(v));
      g.lineTo(w - 4, y(v));
      g.stroke();
      g.fillText(String(v), 2, y(v) + 4);
    }
    g.fillText("−10 min", left, hgt - 2);
    g.fillText("now", w - 26, hgt - 2);
    for (const s of this.series.values()) {
      this.line(g, s.targets.slice(-WINDOW), s.color, [4, 4], x, y);
      this.line(g, s.temps.slice(-WINDOW), s.color, [], x, y);
    }
  }

  private line(g: CanvasRenderingContext2D, values: number[], color: string, dash: number[], x: (i: number, n: number) => number, y: (v: number) => number): void {
    if (values.length < 2) return;
    g.strokeStyle = color;
    g.lineWidth = dash.length ? 1 : 2;
    g.setLineDash(dash);
    g.beginPath();
    values.forEach((v, i) => (i === 0 ? g.moveTo(x(i, values.length), y(v)) : g.lineTo(x(i, values.length), y(v))));
    g.stroke();
    g.setLineDash([]);
  }
}
