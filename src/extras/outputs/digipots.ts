// Digital potentiometers and DACs that set stepper driver reference voltages (and similar):
// [ad5206 NAME] and [dac084S085 NAME] on SPI, [mcp4451 NAME] and [mcp4018 NAME] on I2C. Values
// are given as a fraction of `scale` and written once at startup (mcp4018 also by SET_DIGIPOT).
import { ConfigError } from "../../core/config/errors.ts";
import type { ConfigSection } from "../../core/config/section.ts";
import { type Printer, registerModule } from "../../core/printer.ts";
import { i2cFromConfig, spiFromConfig } from "../bus/bus.ts";

/** Six-channel 8-bit potentiometer: one [channel, value] write per configured channel. */
function ad5206(config: ConfigSection, printer: Printer): object {
  const spi = spiFromConfig(config, printer, 0, { pinOption: "enable_pin", defaultSpeed: 25000000 });
  const scale = config.getFloat("scale", 1, { above: 0 });
  for (let i = 0; i < 6; i++) {
    const v = config.getFloat(`channel_${i + 1}`, null, { minval: 0, maxval: scale });
    if (v !== null) spi.send([i, Math.trunc((v * 256) / scale + 0.5)]);
  }
  return {};
}

/** Four-channel 8-bit DAC: write-through command (bit 4) with the value split over two bytes. */
function dac084S085(config: ConfigSection, printer: Printer): object {
  const spi = spiFromConfig(config, printer, 1, { pinOption: "enable_pin", defaultSpeed: 10000000 });
  const scale = config.getFloat("scale", 1, { above: 0 });
  [..."ABCD"].forEach((name, chan) => {
    const v = config.getFloat(`channel_${name}`, null, { minval: 0, maxval: scale });
    if (v === null) return;
    const value = Math.trunc((v * 255) / scale);
    spi.send([(chan << 6) | (1 << 4) | ((value >> 4) & 0x0f), (value << 4) & 0xf0]);
  });
  return {};
}

/** Quad I2C potentiometer: both terminal-control registers on, then the configured wipers. */
function mcp4451(config: ConfigSection, printer: Printer): object {
  const i2c = i2cFromConfig(config, printer);
  if (i2c.address < 44 || i2c.address > 47) throw new ConfigError(`mcp4451 address must be between 44 and 47 (section '${config.getName()}')`);
  const scale = config.getFloat("scale", 1, { above: 0 });
  const setRegister = (reg: number, value: number) => i2c.write([(reg << 4) | ((value >> 8) & 0x03), value & 0xff]);
  setRegister(0x04, 0xff);
  setRegister(0x0a, 0xff);
  const wipers = [0x00, 0x01, 0x06, 0x07];
  for (let i = 0; i < 4; i++) {
    const v = config.getFloat(`wiper_${i}`, null, { minval: 0, maxval: scale });
    if (v !== null) setRegister(wipers[i]!, Math.trunc((v * 255) / scale + 0.5));
  }
  return {};
}

/** Single 7-bit I2C potentiometer, set at connect and by SET_DIGIPOT DIGIPOT=name WIPER=value. */
class Mcp4018 {
  constructor(config: ConfigSection, printer: Printer) {
    const i2c = i2cFromConfig(config, printer, 0x2f);
    const scale = config.getFloat("scale", 1, { above: 0 });
    const start = config.getFloat("wiper", undefined, { minval: 0, maxval: scale });
    const set = (value: number) => i2c.write([Math.trunc((value * 127) / scale + 0.5)]);
    printer.registerEventHandler("klippy:connect", () => set(start));
    const name = config.getName().split(/\s+/)[1]!;
    printer.gcode.registerMux("SET_DIGIPOT", "DIGIPOT", name, (g) => {
      const wiper = g.getFloat("WIPER", undefined, { minval: 0, maxval: scale });
      set(wiper);
      g.respondInfo(`New value for DIGIPOT = ${name}, wiper = ${wiper.toFixed(2)}`);
    }, "Set digipot value");
  }
}

registerModule("ad5206 ", ad5206);
registerModule("dac084S085 ", dac084S085);
registerModule("mcp4451 ", mcp4451);
registerModule("mcp4018 ", (config, printer) => new Mcp4018(config, printer));
