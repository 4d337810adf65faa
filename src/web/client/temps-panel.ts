// Temperatures: one row per heater and sensor (now, target input, power) and the live chart, seeded
// from server.temperature_store and sampled once a second from the subscribed status.
import type { App } from "./app.ts";
import { TempChart } from "./chart.ts";
import { byId, fixed, h, setText } from "./dom.ts";
import { num } from "./store.ts";

interface Row {
  now: HTMLElement;
  target: HTMLInputElement;
  power: HTMLElement;
}

type TempStore = Record<string, { temperatures?: number[]; targets?: number[] }>;

/** The name Klipper's SET_HEATER_TEMPERATURE wants ("extruder", "heater_bed", "heater_generic x" → "x"). */
function heaterName(obj: string): string {
  return obj.includes(" ") ? obj.slice(obj.indexOf(" ") + 1) : obj;
}

function label(obj: string): string {
  if (obj === "heater_bed") return "Bed";
  if (obj.startsWith("extruder")) return obj === "extruder" ? "Hotend" : `Hotend ${obj.slice(8)}`;
  return heaterName(obj).replaceAll("_", " ");
}

export function tempsPanel(app: App): { sensors(): string[]; loadHistory(): Promise<void> } {
  const body = byId("temps").querySelector("tbody")!;
  const chart = new TempChart(byId<HTMLCanvasElement>("temp-chart"));
  const rows = new Map<string, Row>();

  const sensors = (): string[] => {
    const heaters = app.store.get("heaters");
    const list = [...((heaters.available_heaters as string[] | undefined) ?? []), ...((heaters.available_sensors as string[] | undefined) ?? [])];
    return [...new Set(list)];
  };
  const isHeater = (obj: string) => ((app.store.get("heaters").available_heaters as string[] | undefined) ?? []).includes(obj);

  const row = (obj: string): Row => {
    let r = rows.get(obj);
    if (r) return r;
    const series = chart.ensure(obj);
    const target = h("input", { type: "number", min: 0, max: 400, step: 1, inputmode: "numeric", "aria-label": `${label(obj)} target`, "data-heater": obj });
    target.addEventListener("change", () => {
      const v = Number(target.value);
      if (!Number.isFinite(v) || v < 0) return;
      void app.gcode(`SET_HEATER_TEMPERATURE HEATER=${heaterName(obj)} TARGET=${v}`);
      target.blur();
    });
    r = { now: h("td", { "data-temp": obj }), target, power: h("td") };
    body.append(h("tr", {}, h("td", {}, h("span", { class: "swatch", style: `background:${series.color}` }), label(obj)), r.now, h("td", {}, isHeater(obj) ? target : "–"), r.power));
    rows.set(obj, r);
    return r;
  };

  app.store.subscribe(() => {
    for (const obj of sensors()) {
      const st = app.store.get(obj);
      const r = row(obj);
      setText(r.now, `${fixed(st.temperature)} °C`);
      const target = num(st, "target");
      // Do not overwrite what the user is typing
      if (target !== null && document.activeElement !== r.target && r.target.value !== String(target)) r.target.value = String(target);
      const power = num(st, "power");
      setText(r.power, power === null ? "" : `${Math.round(power * 100)} %`);
    }
  });

  setInterval(() => {
    for (const obj of sensors()) {
      const st = app.store.get(obj);
      const t = num(st, "temperature");
      if (t !== null) chart.push(obj, t, num(st, "target"));
    }
    chart.draw();
  }, 1000);
  window.addEventListener("resize", () => chart.draw());

  return {
    sensors,
    async loadHistory() {
      try {
        const store = await app.rpc.call<TempStore>("server.temperature_store", { include_monitors: false });
        for (const [obj, data] of Object.entries(store)) if (data.temperatures) chart.seed(obj, data.temperatures, data.targets);
        chart.draw();
      } catch (e) {
        console.warn("dashboard: no temperature history", e);
      }
    },
  };
}
