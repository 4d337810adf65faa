// Where the tests find Klipper's reference data: ../shared/reference beside the repository clone
// (that is where CI puts it), or STEPLINE_REFERENCE. Read in place, never copied into the project.
import { resolve } from "node:path";

export const SHARED_REFERENCE = process.env.STEPLINE_REFERENCE ?? resolve(import.meta.dir, "../../../shared/reference");
