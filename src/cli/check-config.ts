// Placeholder until the 'check-config' subcommand lands (see the open issues).
export async function run(_args: string[]): Promise<number> {
  console.error("stepline check-config: not available yet in this build");
  return 1;
}
