// Position and homing state, home buttons and relative jogs (G91 / G1 … / G90, as Mainsail and
// Fluidd send them), motors off.
import type { App } from "./app.ts";
import { byId, fixed, setText } from "./dom.ts";
import { str } from "./store.ts";

const JOG_FEED: Record<string, number> = { X: 6000, Y: 6000, Z: 600 };

export function motionPanel(app: App): void {
  const card = byId("motion-card");
  const axes = { x: byId("pos-x"), y: byId("pos-y"), z: byId("pos-z") };
  const homed = byId("homed");
  const step = byId<HTMLSelectElement>("jog-step");

  for (const b of card.querySelectorAll<HTMLButtonElement>("[data-home]")) {
    b.addEventListener("click", () => void app.gcode(`G28 ${b.dataset.home}`.trim()));
  }
  for (const b of card.querySelectorAll<HTMLButtonElement>("[data-jog]")) {
    b.addEventListener("click", () => {
      const axis = b.dataset.jog!;
      const dist = Number(step.value) * Number(b.dataset.dir);
      void app.gcode(`G91\nG1 ${axis}${dist} F${JOG_FEED[axis]}\nG90`);
    });
  }
  byId("motors-off").addEventListener("click", () => void app.gcode("M84"));

  const render = () => {
    const th = app.store.get("toolhead");
    const gm = app.store.get("gcode_move");
    // The G-code position (what the user commanded, offsets applied) is what UIs show
    const pos = (gm.gcode_position ?? th.position) as number[] | undefined;
    const homedAxes = str(th, "homed_axes");
    for (const [i, k] of (["x", "y", "z"] as const).entries()) {
      setText(axes[k], fixed(pos?.[i], 2));
      axes[k].classList.toggle("homed", homedAxes.includes(k));
    }
    setText(homed, homedAxes ? homedAxes.toUpperCase() : "none");
    const printing = ["printing", "paused"].includes(str(app.store.get("print_stats"), "state"));
    for (const b of card.querySelectorAll<HTMLButtonElement>("button")) b.disabled = !app.ready || printing;
  };
  app.store.subscribe(render);
  app.onKlippy(render);
}
