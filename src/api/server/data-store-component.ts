// Moonraker's data_store component: the temperature history and the console (G-code) history.
import * as v from "valibot";
import { endpoint, type ApiComponentFactory } from "../endpoint.ts";
import { bool, int } from "../params.ts";
import { type GcodeStore } from "./gcode-store.ts";
import { TemperatureStore } from "./temperature-store.ts";

export function dataStoreComponent(gcodeStore: GcodeStore): ApiComponentFactory {
  return (ctx) => {
    const temps = new TemperatureStore(ctx.host);
    return {
      name: "data_store",
      close() {
        temps.close();
        gcodeStore.close();
      },
      endpoints: [
        endpoint({
          path: "/server/temperature_store",
          verbs: ["GET"],
          params: v.looseObject({ include_monitors: v.optional(bool, false) }),
          handler: ({ params }) => temps.snapshot(params.include_monitors),
        }),
        endpoint({
          path: "/server/gcode_store",
          verbs: ["GET"],
          params: v.looseObject({ count: v.optional(v.pipe(int, v.minValue(0))) }),
          handler: ({ params }) => ({ gcode_store: gcodeStore.last(params.count) }),
        }),
      ],
    };
  };
}
