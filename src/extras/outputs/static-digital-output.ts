// [static_digital_output NAME]: pins set once at MCU configuration (set_digital_out) and never
// changed, e.g. driver enable or microstep-select lines.
import { registerModule } from "../../core/printer.ts";
import { pinMcu } from "../bus/bus.ts";

registerModule("static_digital_output ", (config, printer) => {
  for (const desc of config.getList("pins")) {
    const p = printer.pins.lookupPin(desc, { canInvert: true, owner: config.getName() });
    pinMcu(p).addConfigCmd(`set_digital_out pin=${p.pin} value=${p.invert ? 0 : 1}`);
  }
  return {};
});
