// The temperature sensor types Klipper defines without any config section, by their Klipper names:
// thermistors (manufacturer calibration points or beta), amplifier chips and platinum RTDs (tables).
import { AD595, AD597, AD8494, AD8495, AD8496, AD8497, type VoltageTable } from "./amplifier-tables.ts";
import { platinumRtdTable, pt100Ina826Table } from "./linear-sensors.ts";
import type { ThermistorParams } from "./thermistor.ts";

export const BUILTIN_THERMISTORS: Readonly<Record<string, ThermistorParams>> = {
  // Lulzbot's GT-2 glass thermistor datasheet (2021-11-01)
  "ATC Semitec 104GT-2": { kind: "steinhart-hart", t1: 20, r1: 126800, t2: 150, r2: 1360, t3: 300, r3: 80.65 },
  // ATC Semitec NT-4 glass NTC datasheet (2021-11-12)
  "ATC Semitec 104NT-4-R025H42G": { kind: "steinhart-hart", t1: 25, r1: 100000, t2: 160, r2: 1074, t3: 300, r3: 82.78 },
  // TDK B57560 glass-encapsulated sensors datasheet
  "EPCOS 100K B57560G104F": { kind: "steinhart-hart", t1: 25, r1: 100000, t2: 150, r2: 1641.9, t3: 250, r3: 226.15 },
  // Keenovo NTC R-T table
  "Generic 3950": { kind: "steinhart-hart", t1: 25, r1: 100000, t2: 150, r2: 1770, t3: 250, r3: 230 },
  // Slice Engineering high-temperature thermistor
  "SliceEngineering 450": { kind: "steinhart-hart", t1: 25, r1: 500000, t2: 200, r2: 3734, t3: 400, r3: 240 },
  // TDK chip NTC R-T sheet
  "TDK NTCG104LH104JT1": { kind: "steinhart-hart", t1: 25, r1: 100000, t2: 50, r2: 31230, t3: 125, r3: 2066 },
  // Honeywell 135-104LAG-J01 datasheet
  "Honeywell 100K 135-104LAG-J01": { kind: "beta", t1: 25, r1: 100000, beta: 3974 },
  // Marlin's "thermistor 75"
  "NTC 100K MGB18-104F39050L32": { kind: "beta", t1: 25, r1: 100000, beta: 4100 },
};

export const BUILTIN_VOLTAGE_SENSORS: Readonly<Record<string, VoltageTable>> = {
  AD595, AD597, AD8494, AD8495, AD8496, AD8497,
  "PT100 INA826": pt100Ina826Table(),
};

export const BUILTIN_RESISTANCE_SENSORS: Readonly<Record<string, VoltageTable>> = {
  PT1000: platinumRtdTable(1000),
};
