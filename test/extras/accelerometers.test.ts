// Accelerometer chips (adxl345, mpu9250, icm20948, lis2dw/lis3dh, bmi160): the MCU objects they
// configure in batch mode, their option errors, their record decoding and the clear errors of
// the commands that need a live MCU.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { int16Triple } from "../../src/extras/accelerometers/bulk-accelerometer.ts";
import { decodeAdxl345 } from "../../src/extras/accelerometers/adxl345.ts";
import { batchLines, configErrors } from "../support/printer-rig.ts";
import { CARTESIAN_MOTION_CFG } from "../support/printer-configs.ts";
import { KLIPPER_REFERENCE } from "../support/reference.ts";

/** Config lines (before finalize_config) that mention one of `oids`. */
function configLinesFor(lines: string[], oids: Set<number>): string[] {
  const end = lines.findIndex((l) => l.startsWith("finalize_config"));
  return lines.slice(0, end).filter((l) => [...l.matchAll(/\b(?:oid|spi_oid|i2c_oid|bus_oid)=(\d+)/g)].some((m) => oids.has(Number(m[1]))));
}

describe("tk_input_shaper reference case", () => {
  test("the accelerometers' SPI/I2C and chip config lines equal Klipper's", async () => {
    const caseDir = `${KLIPPER_REFERENCE}/cases/tk_input_shaper`;
    const reference = readFileSync(`${caseDir}/parsedump.txt`, "utf8").split("\n");
    // The oids of the buses and chips in Klipper's own output
    const chipLine = /^(config_spi|config_i2c|config_adxl345|config_mpu9250) oid=(\d+)/;
    const oids = new Set(reference.map((l) => chipLine.exec(l)).filter((m) => m !== null).map((m) => Number(m![2])));
    expect(oids.size).toBe(4);
    const expected = configLinesFor(reference, oids);
    expect(expected.some((l) => l.startsWith("i2c_set_bus"))).toBe(true);

    const r = await batchLines(readFileSync(`${caseDir}/printer.cfg`, "utf8"), "G4 P10\n");
    expect(r.error).toBeNull();
    expect(configLinesFor(r.lines, oids)).toEqual(expected);
  });
});

describe("the other chips", () => {
  // Expected lines as klippy (the reference commit) writes them for this config in batch mode
  test("lis2dw/lis3dh/bmi160 on SPI or I2C, icm20948 and mpu9250 on I2C", async () => {
    const cfg = `${CARTESIAN_MOTION_CFG}
[lis2dw]
cs_pin: PK7
[lis2dw i2cone]
i2c_address: 25
[lis3dh l3]
cs_pin: PG0
spi_speed: 2000000
[bmi160 b1]
cs_pin: PG1
[bmi160 b2]
axes_map: z,y,x
[icm20948 i1]
i2c_speed: 100000
[mpu9250 m2]
i2c_address: 105
rate: 4000
`;
    const r = await batchLines(cfg, "G4 P10\n");
    expect(r.error).toBeNull();
    const chipLines = r.lines.filter((l) => /^(config_(spi|i2c|lis2dw|bmi160|icm20948|mpu9250)|spi_set_bus|i2c_set_bus) /.test(l));
    expect(chipLines).toEqual([
      "config_spi oid=0 pin=PK7 cs_active_high=0",
      "config_lis2dw oid=1 bus_oid=0 bus_oid_type=spi lis_chip_type=LIS2DW",
      "config_i2c oid=2",
      "config_lis2dw oid=3 bus_oid=2 bus_oid_type=i2c lis_chip_type=LIS2DW",
      "config_spi oid=4 pin=PG0 cs_active_high=0",
      "config_lis2dw oid=5 bus_oid=4 bus_oid_type=spi lis_chip_type=LIS3DH",
      "config_spi oid=6 pin=PG1 cs_active_high=0",
      "config_bmi160 oid=7 bus_oid=6 bus_oid_type=spi",
      "config_i2c oid=8",
      "config_bmi160 oid=9 bus_oid=8 bus_oid_type=i2c",
      "config_i2c oid=10",
      "config_i2c oid=12",
      "spi_set_bus oid=0 spi_bus=spi mode=3 rate=5000000",
      "i2c_set_bus oid=2 i2c_bus=twi rate=400000 address=25",
      "spi_set_bus oid=4 spi_bus=spi mode=3 rate=2000000",
      "spi_set_bus oid=6 spi_bus=spi mode=0 rate=1000000",
      "i2c_set_bus oid=8 i2c_bus=twi rate=400000 address=105",
      "i2c_set_bus oid=10 i2c_bus=twi rate=100000 address=104",
      "config_icm20948 oid=11 i2c_oid=10",
      "i2c_set_bus oid=12 i2c_bus=twi rate=400000 address=105",
      "config_mpu9250 oid=13 i2c_oid=12",
    ]);
  });
});

describe("option errors", () => {
  const errorFor = async (sections: string) => (await configErrors(`${CARTESIAN_MOTION_CFG}\n${sections}`)).join("\n");

  test("rate, axes_map and i2c_address name the section and option", async () => {
    const rate = await errorFor("[mpu9250 my_mpu]\nrate: 1000\n");
    expect(rate).toContain("rate");
    expect(rate).toContain("'mpu9250 my_mpu'");
    expect(rate).toContain("1000");
    const axes = await errorFor("[icm20948]\naxes_map: x, y, w\n");
    expect(axes).toContain("axes_map");
    expect(axes).toContain("'icm20948'");
    expect(axes).toContain("'w'");
    const addr = await errorFor("[mpu9250]\ni2c_address: 200\n");
    expect(addr).toContain("i2c_address");
    expect(addr).toContain("'mpu9250'");
    // Bus names are checked against the firmware's when the MCU config is built
    const busCfg = `${CARTESIAN_MOTION_CFG}\n[lis2dw]\ni2c_bus: nosuchbus\n`;
    const bus = await batchLines(busCfg, "");
    expect(bus.error).toContain("Unknown i2c_bus 'nosuchbus'");
  });

  test("chips without a rate option reject it as unused", async () => {
    const e = await errorFor("[bmi160]\nrate: 1600\n");
    expect(e).toContain("rate");
    expect(e).toContain("bmi160");
  });

  test("one default (unnamed) accelerometer and unique names", async () => {
    const twoDefaults = await errorFor("[adxl345]\ncs_pin: PG0\n[mpu9250]\n");
    expect(twoDefaults).toContain("Default accelerometer already defined; section 'mpu9250' must include an additional name");
    const sameName = await errorFor("[adxl345 probe]\ncs_pin: PG0\n[mpu9250 probe]\n");
    expect(sameName).toContain("Accelerometer with name 'probe' already defined");
  });
});

describe("commands in batch mode", () => {
  test("measuring and register access say they need a live MCU", async () => {
    const cfg = `${CARTESIAN_MOTION_CFG}\n[mpu9250 my_mpu]\n`;
    for (const cmd of ["ACCELEROMETER_QUERY CHIP=my_mpu", "ACCELEROMETER_MEASURE CHIP=my_mpu", "ACCELEROMETER_DEBUG_READ CHIP=my_mpu REG=0x75"]) {
      const r = await batchLines(cfg, `${cmd}\n`);
      expect(r.error ?? r.responses.join("\n")).toContain("mpu9250 my_mpu: accelerometer measurements need a live MCU");
    }
  });

  test("bad register parameters are reported before any bus access", async () => {
    const cfg = `${CARTESIAN_MOTION_CFG}\n[mpu9250]\n`;
    const r = await batchLines(cfg, "ACCELEROMETER_DEBUG_WRITE REG=0x80 VAL=1\n");
    expect(r.error ?? r.responses.join("\n")).toContain("REG must be between 0 and 127");
  });
});

describe("record decoding", () => {
  test("16-bit triples in either byte order", () => {
    const rec = Uint8Array.from([0xff, 0xfe, 0x01, 0x00, 0x80, 0x00]);
    expect(int16Triple(false)(rec)).toEqual([-2, 256, -32768]);
    expect(int16Triple(true)(rec)).toEqual([-257, 1, 128]);
    // A record inside a larger buffer (the MCU's bulk data block) decodes at its own offset
    const block = Uint8Array.from([9, 9, 0x00, 0x10, 0x00, 0x20, 0xff, 0xff]);
    expect(int16Triple(false)(block.subarray(2))).toEqual([16, 32, -1]);
  });

  test("adxl345 13-bit packing and error flag", () => {
    // x = -1 (0x1fff), y = 4095 (0x0fff), z = -4096 (0x1000) as the MCU packs them
    const x = 0x1fff, y = 0x0fff, z = 0x1000;
    const rec = Uint8Array.from([x & 0xff, y & 0xff, z & 0xff, ((x >> 8) & 0x1f) | ((z >> 8) & 0x07) << 5, ((y >> 8) & 0x1f) | ((z >> 11) & 0x03) << 5]);
    expect(decodeAdxl345(rec)).toEqual([-1, 4095, -4096]);
    rec[4]! |= 0x80;
    expect(decodeAdxl345(rec)).toBeNull();
  });
});
