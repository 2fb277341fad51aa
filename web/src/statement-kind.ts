// Whether a statement returns rows (run as QUERY_SQL) or not (run as EXEC_SQL). dqlite 1.11
// answers a QUERY_SQL of an INSERT with a FAILURE ("not an error"), so the page must choose.
// Like the shells, it goes by the first keyword. A WITH can lead into either a SELECT or a
// write, so then the keywords outside parentheses decide (the CTE bodies are inside them).

const ROW_RETURNING = new Set(["SELECT", "VALUES", "PRAGMA", "EXPLAIN"]);
const WRITING = new Set(["INSERT", "REPLACE", "UPDATE", "DELETE"]);

export function returnsRows(sql: string): boolean {
  const text = sql.replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, " ").replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|`[^`]*`|\[[^\]]*\]/g, " ");
  const first = /[A-Za-z_]+/.exec(text)?.[0].toUpperCase();
  if (first === undefined) return false;
  if (first !== "WITH") return ROW_RETURNING.has(first);
  return !topLevelKeywords(text).some((word) => WRITING.has(word));
}

function topLevelKeywords(text: string): string[] {
  let depth = 0;
  let top = "";
  for (const char of text) {
    if (char === "(") depth++;
    else if (char === ")") depth = Math.max(0, depth - 1);
    else if (depth === 0) top += char;
  }
  return top.toUpperCase().match(/[A-Z_]+/g) ?? [];
}
