// Flags of a firmware command declaration (Klipper's HF_* in command.h).

/** The command may run while the MCU is shut down. */
export const HF_IN_SHUTDOWN = 1;
