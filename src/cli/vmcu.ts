// Placeholder until the 'vmcu' subcommand lands (see the open issues).
export async function run(_args: string[]): Promise<number> {
  console.error("stepline vmcu: not available yet in this build");
  return 1;
}
