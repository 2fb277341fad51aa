// What the client reads from SQL text without parsing it: its words outside string literals,
// quoted identifiers and comments, and where its statements end. The guards (RETURNING), the pool
// (which statements only read), the statement cache (one statement or several) and the callers
// that must know whether SQL answers rows all ask here, so SQL is lexed by one set of rules.
//
// Every answer errs on the safe side: a bare identifier spelled like a keyword counts as the
// keyword (a column named "update" makes a statement count as a write).

/** What the first statement of some SQL is made of, as far as the client needs to know. */
export interface SqlShape {
  /** The first word, upper case ("SELECT", "INSERT", "WITH"…); "" for SQL of no words. */
  readonly firstWord: string;
  /** Every word of the first statement, upper case. */
  readonly words: ReadonlySet<string>;
  /** True when another statement follows the first (more than comments after its `;`). */
  readonly moreStatements: boolean;
  /**
   * True when the first statement selects all columns (`SELECT *`, `t.*`, `RETURNING *`): the
   * columns it answers are those of the tables when it was prepared, even after they change (a
   * prepared `SELECT *` kept its old columns after DROP and CREATE, on dqlite 1.11 and 1.18).
   */
  readonly allColumns: boolean;
}

/** Words that make a statement change the database or the connection's state. */
const WRITING_WORDS = new Set([
  "INSERT",
  "UPDATE",
  "DELETE",
  "REPLACE",
  "UPSERT",
  "RETURNING",
  "CREATE",
  "DROP",
  "ALTER",
  "ATTACH",
  "DETACH",
  "VACUUM",
  "REINDEX",
  "ANALYZE",
  "PRAGMA",
  "BEGIN",
  "COMMIT",
  "END",
  "ROLLBACK",
  "SAVEPOINT",
  "RELEASE",
]);

/** First words of statements that answer rows without writing. */
const READING_FIRST_WORDS = new Set(["SELECT", "VALUES", "WITH", "EXPLAIN"]);

/** First words of statements that answer rows (some of them may also write). */
const ROWS_FIRST_WORDS = new Set(["SELECT", "VALUES", "WITH", "EXPLAIN", "PRAGMA"]);

/** Shapes of SQL seen lately: a service runs the same few statements over and over. */
const SHAPES = new Map<string, SqlShape>();
const MAX_REMEMBERED_SHAPES = 512;

/** The shape of the first statement of `sql`. */
export function sqlShape(sql: string): SqlShape {
  let shape = SHAPES.get(sql);
  if (shape === undefined) {
    shape = lexShape(sql);
    if (SHAPES.size >= MAX_REMEMBERED_SHAPES) SHAPES.clear();
    SHAPES.set(sql, shape);
  }
  return shape;
}

/** What a `*` that means "every column" follows. */
const BEFORE_ALL_COLUMNS = new Set(["SELECT", "DISTINCT", "ALL", "RETURNING", ",", "."]);

function lexShape(sql: string): SqlShape {
  const words = new Set<string>();
  let firstWord = "";
  let moreStatements = false;
  let allColumns = false;
  let ended = false;
  let previous = "";
  scanSql(sql, (token) => {
    if (ended) {
      moreStatements = true;
      return false;
    }
    if (token === ";") {
      ended = true;
      return true;
    }
    if (token === "*") allColumns ||= BEFORE_ALL_COLUMNS.has(previous);
    else if (token !== "," && token !== ".") {
      if (firstWord === "") firstWord = token;
      words.add(token);
    }
    previous = token;
    return true;
  });
  return { firstWord, words, moreStatements, allColumns };
}

/**
 * True when `sql` is one statement that only reads: it starts with SELECT, VALUES, WITH or
 * EXPLAIN and holds no word that writes. Anything else, or anything unsure, is a write.
 */
export function isReadOnlySql(sql: string): boolean {
  const shape = sqlShape(sql);
  if (shape.moreStatements || !READING_FIRST_WORDS.has(shape.firstWord)) return false;
  for (const word of shape.words) if (WRITING_WORDS.has(word)) return false;
  return true;
}

/** Words of the statements a WITH clause may lead into that change rows. */
const DML_WORDS = ["INSERT", "UPDATE", "DELETE", "REPLACE"];

/**
 * True when the first statement of `sql` answers rows: a query (WITH leading into SELECT, not
 * into an insert, update or delete), or anything with RETURNING.
 */
export function answersRows(sql: string): boolean {
  const shape = sqlShape(sql);
  if (shape.words.has("RETURNING")) return true;
  if (shape.firstWord === "WITH") return !DML_WORDS.some((word) => shape.words.has(word));
  return ROWS_FIRST_WORDS.has(shape.firstWord);
}

/** First words of statements that start, end or mark a transaction on their connection. */
const TRANSACTION_CONTROL_WORDS = new Set(["BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE"]);

/** The transaction-control word `sql` starts with (BEGIN, COMMIT, END, ROLLBACK, SAVEPOINT, RELEASE), if any. */
export function transactionControlOf(sql: string): string | undefined {
  const { firstWord } = sqlShape(sql);
  return TRANSACTION_CONTROL_WORDS.has(firstWord) ? firstWord : undefined;
}

/**
 * True when `sql` has the keyword RETURNING outside string literals, quoted identifiers and
 * comments, in any of its statements.
 */
export function hasReturningClause(sql: string): boolean {
  let found = false;
  scanSql(sql, (word) => {
    found = word === "RETURNING";
    return !found;
  });
  return found;
}

/**
 * Calls `visit` with each word of `sql` (upper case) and each ";", "*", "," and "." outside
 * string literals, quoted identifiers and comments, until it returns false.
 */
function scanSql(sql: string, visit: (word: string) => boolean): void {
  const n = sql.length;
  let i = 0;
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (c === 0x27 /* ' */ || c === 0x22 /* " */ || c === 0x60 /* ` */) {
      i = skipQuoted(sql, i, c);
    } else if (c === 0x5b /* [ */) {
      const end = sql.indexOf("]", i + 1);
      i = end < 0 ? n : end + 1;
    } else if (c === 0x2d /* - */ && sql.charCodeAt(i + 1) === 0x2d) {
      const end = sql.indexOf("\n", i + 2);
      i = end < 0 ? n : end + 1;
    } else if (c === 0x2f /* / */ && sql.charCodeAt(i + 1) === 0x2a /* * */) {
      const end = sql.indexOf("*/", i + 2);
      i = end < 0 ? n : end + 2;
    } else if (c === 0x3b /* ; */ || c === 0x2a /* * */ || c === 0x2c /* , */ || c === 0x2e /* . */) {
      i++;
      if (!visit(sql[i - 1]!)) return;
    } else if (isWordChar(c)) {
      const start = i;
      while (i < n && isWordChar(sql.charCodeAt(i))) i++;
      if (!visit(sql.slice(start, i).toUpperCase())) return;
    } else {
      i++;
    }
  }
}

/** Index after a quoted run starting at `i`; a doubled quote is an escaped quote. */
function skipQuoted(sql: string, i: number, quote: number): number {
  let j = i + 1;
  for (;;) {
    const end = sql.indexOf(String.fromCharCode(quote), j);
    if (end < 0) return sql.length;
    if (sql.charCodeAt(end + 1) === quote) {
      j = end + 2;
      continue;
    }
    return end + 1;
  }
}

function isWordChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x24 || c > 0x7f;
}
