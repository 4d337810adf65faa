// Placeholder until the 'run' subcommand lands (see the open issues).
export async function run(_args: string[]): Promise<number> {
  console.error("stepline run: not available yet in this build");
  return 1;
}
