// Placeholder until the 'batch' subcommand lands (see the open issues).
export async function run(_args: string[]): Promise<number> {
  console.error("stepline batch: not available yet in this build");
  return 1;
}
