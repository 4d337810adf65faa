import { describe, expect, test } from "bun:test";
import { PinError, type PinChip, type PinParams, PrinterPins } from "../../../src/core/pins.ts";
import { DataDictionary } from "../../../src/protocol/index.ts";
import { loadDict } from "../../support/reference.ts";
import { thrownMessage } from "../../support/errors.ts";

/** A chip that records the pins set up on it. */
class RecordingChip implements PinChip {
  readonly setups: [string, PinParams][] = [];
  constructor(readonly dict: DataDictionary | null = null) {}
  setupPin(type: string, params: PinParams): string {
    this.setups.push([type, params]);
    return `${type}:${params.pin}`;
  }
}

function pinsWith(...names: string[]): PrinterPins {
  const pins = new PrinterPins();
  for (const n of names) pins.registerChip(n, new RecordingChip());
  return pins;
}

const pinError = (fn: () => unknown) => thrownMessage(PinError, fn);

describe("pin descriptions", () => {
  test("modifiers and chip prefixes", () => {
    const pins = pinsWith("mcu", "z");
    const p = pins.parsePin(" ^ ! PA1 ", true, true);
    expect([p.chipName, p.pin, p.pullup, p.invert]).toEqual(["mcu", "PA1", 1, 1]);
    const q = pins.parsePin("~z: PB2", false, true);
    expect([q.chipName, q.pin, q.pullup, q.invert]).toEqual(["z", "PB2", -1, 0]);
  });
  test("a modifier the pin type can't take is an invalid description", () => {
    const pins = pinsWith("mcu");
    expect(pinError(() => pins.parsePin("^PA1", true, false))).toBe("Invalid pin description '^PA1'\nFormat is: [!] [chip_name:] pin_name");
    expect(pinError(() => pins.parsePin("!PA1"))).toBe("Invalid pin description '!PA1'\nFormat is: [chip_name:] pin_name");
    expect(pinError(() => pins.parsePin("PA 1"))).toContain("Invalid pin description 'PA 1'");
  });
  test("unknown chip", () => {
    expect(pinError(() => pinsWith("mcu").parsePin("extra:PA1"))).toBe("Unknown pin chip name 'extra'");
  });
  test("setupPin passes type-specific modifiers to the chip", () => {
    const pins = new PrinterPins();
    const chip = new RecordingChip();
    pins.registerChip("mcu", chip);
    expect(pins.setupPin("endstop", "^!PA1")).toBe("endstop:PA1");
    expect(pins.setupPin("pwm", "!PA2")).toBe("pwm:PA2");
    expect(() => pins.setupPin("adc", "!PA3")).toThrow("Invalid pin description '!PA3'");
    expect(chip.setups.map(([t, p]) => [t, p.pin, p.invert, p.pullup])).toEqual([
      ["endstop", "PA1", 1, 1],
      ["pwm", "PA2", 1, 0],
    ]);
  });
});

describe("pin sharing", () => {
  test("a pin is used once unless sharing is allowed", () => {
    const pins = pinsWith("mcu");
    pins.lookupPin("PA1");
    expect(pinError(() => pins.lookupPin("PA1"))).toBe("pin PA1 used multiple times in config");
    // same pin on another chip is a different pin
    const pins2 = pinsWith("mcu", "z");
    pins2.lookupPin("PA1");
    expect(() => pins2.lookupPin("z:PA1")).not.toThrow();
  });
  test("same share type shares; polarity must match", () => {
    const pins = pinsWith("mcu");
    const a = pins.lookupPin("PA5", { shareType: "stepper_enable", canInvert: true });
    expect(pins.lookupPin("PA5", { shareType: "stepper_enable", canInvert: true })).toBe(a);
    expect(pinError(() => pins.lookupPin("!PA5", { shareType: "stepper_enable", canInvert: true }))).toBe("Shared pin PA5 must have same polarity");
    expect(pinError(() => pins.lookupPin("PA5", { shareType: "other" }))).toBe("pin PA5 used multiple times in config");
  });
  test("allowMultiUsePin and resetPinSharing", () => {
    const pins = pinsWith("mcu");
    pins.allowMultiUsePin("PB1");
    const first = pins.lookupPin("PB1");
    expect(pins.lookupPin("PB1")).toBe(first);
    const c = pins.lookupPin("PC1");
    pins.resetPinSharing(c);
    expect(() => pins.lookupPin("PC1")).not.toThrow();
  });
  test("duplicate chip", () => {
    expect(pinError(() => pinsWith("mcu", "mcu"))).toBe("Duplicate chip name 'mcu'");
    expect(pinError(() => pinsWith("mcu").getPinResolver("z"))).toBe("Unknown chip name 'z'");
  });
});

describe("pin resolver (board aliases, reserved pins)", () => {
  test("aliases are translated in MCU config commands, chains collapse", () => {
    const r = pinsWith("mcu").getPinResolver("mcu");
    r.aliasPin("EXP1_1", "PE9");
    r.aliasPin("LCD_EN", "EXP1_1");
    expect(r.updateCommand("config_digital_out oid=3 pin=LCD_EN value=0")).toBe("config_digital_out oid=3 pin=PE9 value=0");
    expect(r.updateCommand("config_spi oid=1 bus=2 cs_pin=PA4")).toBe("config_spi oid=1 bus=2 cs_pin=PA4");
  });
  test("the same pin under two names, and reserved pins, are refused", () => {
    const r = pinsWith("mcu").getPinResolver("mcu");
    r.aliasPin("EXP1_1", "PE9");
    r.updateCommand("x pin=EXP1_1");
    expect(pinError(() => r.updateCommand("y pin=PE9"))).toBe("pin PE9 is an alias for EXP1_1");
    r.reservePin("PA11", "USB");
    expect(pinError(() => r.updateCommand("z pin=PA11"))).toBe("pin PA11 is reserved for USB");
    expect(pinError(() => r.reservePin("PA11", "CAN"))).toBe("Pin PA11 reserved for USB - can't reserve for CAN");
    expect(pinError(() => r.aliasPin("EXP1_1", "PE10"))).toBe("Alias EXP1_1 mapped to PE9 - can't alias to PE10");
    expect(pinError(() => r.aliasPin("X", "!PE10"))).toBe("Invalid pin alias '!PE10'\n");
  });
});

describe("validation against the MCU's pin enumeration", () => {
  const dict = loadDict("atmega2560.dict");
  test("known pins pass, unknown ones name pin, section and mcu; aliases are resolved first", () => {
    const pins = new PrinterPins();
    pins.registerChip("mcu", new RecordingChip(dict));
    pins.getPinResolver("mcu").aliasPin("AR54", "PF0");
    pins.lookupPin("PA1", { owner: "stepper_x" });
    pins.lookupPin("AR54", { owner: "extruder" });
    pins.lookupPin("PZ9", { owner: "fan" });
    pins.lookupPin("PI0", { owner: "heater_bed" }); // atmega2560 has no port I
    expect(pins.validatePins().map((e) => e.message)).toEqual([
      "Unknown pin 'PZ9' in section 'fan': not a pin of mcu 'mcu'",
      "Unknown pin 'PI0' in section 'heater_bed': not a pin of mcu 'mcu'",
    ]);
  });
  test("chips without a dictionary are not checked unless one is given", () => {
    const pins = pinsWith("mcu");
    pins.lookupPin("NOT_A_PIN");
    expect(pins.validatePins()).toEqual([]);
    expect(pins.validatePins(new Map([["mcu", dict]])).length).toBe(1);
  });
});
