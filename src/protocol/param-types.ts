// The parameter types of Klipper message format strings and the values each one accepts.

export interface ParamType {
  readonly fmt: string; // "%u", "%*s", ...
  readonly isInt: boolean;
  readonly signed: boolean; // how the host reports the decoded value
  /** Accepted when encoding. Unsigned types also take negatives down to the signed minimum of their
   *  width: klippy sends e.g. invert_step=-1 for a %c and the firmware reads it back as int8. */
  readonly min: number;
  readonly max: number;
}

const int = (fmt: string, signed: boolean, min: number, max: number): ParamType => ({ fmt, isInt: true, signed, min, max });
const bytes = (fmt: string): ParamType => ({ fmt, isInt: false, signed: false, min: 0, max: 255 }); // max = length

export const PARAM_TYPES: ReadonlyMap<string, ParamType> = new Map([
  ["%u", int("%u", false, -0x80000000, 0xffffffff)],
  ["%i", int("%i", true, -0x80000000, 0x7fffffff)],
  ["%hu", int("%hu", false, -0x8000, 0xffff)],
  ["%hi", int("%hi", true, -0x8000, 0x7fff)],
  ["%c", int("%c", false, -0x80, 0xff)],
  ["%s", bytes("%s")],
  ["%.*s", bytes("%.*s")],
  ["%*s", bytes("%*s")],
]);

/** The values a decoder reports for a well-formed message: the canonical range for round trips. */
export function canonicalRange(t: ParamType): [number, number] {
  if (!t.isInt) return [0, t.max];
  return t.signed ? [t.min, t.max] : [0, t.max];
}
