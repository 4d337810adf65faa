// Where MCU links report what they do (info) and problems they survive (warn).
export interface McuLogger {
  info(msg: string): void;
  warn(msg: string): void;
}

export const consoleLogger: McuLogger = {
  info: (m) => console.log(m),
  warn: (m) => console.warn(m),
};
