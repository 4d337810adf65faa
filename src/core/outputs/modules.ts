// The config-section modules of src/core/outputs (imported by src/core/modules.ts).
import "./output-pin.ts";
import "./multi-pin.ts";
