// The config-section modules of src/core/fans (imported by src/core/modules.ts).
import "./printer-fan.ts";
import "./fan-generic.ts";
import "./heater-fan.ts";
import "./controller-fan.ts";
import "./temperature-fan.ts";
