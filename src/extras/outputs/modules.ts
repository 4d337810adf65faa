// The config-section modules of src/extras/outputs (imported by src/extras/modules.ts).
import "./output-pin.ts";
import "./multi-pin.ts";
