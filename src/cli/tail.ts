export async function tailCommand(_argv: string[]): Promise<number> {
  process.stderr.write("scanwatch tail: not available yet\n");
  return 1;
}
