// Placeholder replaced below.
export async function liveBench(_rows: number): Promise<{ lines: string[]; results: never[] }> {
  return { lines: ["live: not implemented yet"], results: [] };
}
