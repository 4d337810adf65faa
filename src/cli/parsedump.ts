// Placeholder until the 'parsedump' subcommand lands (see the open issues).
export async function run(_args: string[]): Promise<number> {
  console.error("stepline parsedump: not available yet in this build");
  return 1;
}
