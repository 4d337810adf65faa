// The config-section modules of src/extras/fans (imported by src/extras/modules.ts).
import "./printer-fan.ts";
import "./fan-generic.ts";
import "./heater-fan.ts";
import "./controller-fan.ts";
import "./temperature-fan.ts";
