// The demo database: a few small tables a person can read at a glance, one table with every
// value type, and one large table (a million rows by default) for streaming. The large table is
// filled by one INSERT from a recursive CTE, so the node does the work in a single statement
// instead of receiving a million requests.
//
// Uses the compiled library (dist/, built by scripts/setup.sh): Node 20 cannot run .ts.

/** The rows of the small tables, also what the end-to-end test expects to see. */
export const CUSTOMERS = [
  [1, "Ada Lovelace", "London", "2024-01-15"],
  [2, "Grace Hopper", "New York", "2024-02-03"],
  [3, "Edsger Dijkstra", "Eindhoven", "2024-03-21"],
  [4, "Barbara Liskov", "Boston", "2024-04-09"],
  [5, "Donald Knuth", "Stanford", "2024-05-30"],
  [6, "Frances Allen", "Peru, NY", "2024-06-12"],
  [7, "Ken Thompson", "Berkeley", "2024-07-01"],
  [8, "Margaret Hamilton", "Paoli", "2024-08-24"],
];

const SMALL_TABLES = [
  "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, city TEXT NOT NULL, joined TEXT NOT NULL)",
  "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id), amount REAL NOT NULL, note TEXT)",
  "CREATE TABLE kinds (id INTEGER PRIMARY KEY, label TEXT, i INTEGER, f REAL, t TEXT, b BLOB)",
  "CREATE TABLE big (id INTEGER PRIMARY KEY, name TEXT NOT NULL, amount REAL NOT NULL, bucket INTEGER NOT NULL)",
];

const KINDS = [
  "INSERT INTO kinds VALUES (1, 'integers', 9007199254740993, NULL, NULL, NULL)",
  "INSERT INTO kinds VALUES (2, 'negative', -42, -0.5, 'minus', x'ff')",
  "INSERT INTO kinds VALUES (3, 'float', 0, 3.141592653589793, 'pi', NULL)",
  "INSERT INTO kinds VALUES (4, 'whole float', 7, 2.0, 'two', x'00010203')",
  "INSERT INTO kinds VALUES (5, 'text', NULL, NULL, 'héllo wörld ✓', x'deadbeefcafebabe0011223344556677')",
  "INSERT INTO kinds VALUES (6, 'mixed column', 'not a number', 1, 42, 'text in a blob column')",
];

/**
 * Creates and fills the tables on `db` (a Database of the session layer). Returns how long the
 * large table took, in milliseconds.
 */
export async function seedDemo(db, { bigRows = 1_000_000, timeoutMs = 120_000 } = {}) {
  for (const sql of SMALL_TABLES) await db.exec(sql);
  const values = CUSTOMERS.map((c) => `(${c[0]}, '${c[1]}', '${c[2]}', '${c[3]}')`).join(", ");
  await db.exec(`INSERT INTO customers (id, name, city, joined) VALUES ${values}`);
  // 24 orders spread over the customers; every fifth has no note (NULL).
  await db.exec(
    "INSERT INTO orders (id, customer_id, amount, note) " +
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 24) " +
      "SELECT i, (i % 8) + 1, round(i * 13.37, 2), CASE WHEN i % 5 = 0 THEN NULL ELSE 'order ' || i END FROM n",
  );
  for (const sql of KINDS) await db.exec(sql);
  const started = performance.now();
  await db.exec(
    "INSERT INTO big (id, name, amount, bucket) " +
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${Number(bigRows)}) ` +
      "SELECT i, 'item-' || i, i * 0.25 + 0.125, i % 100 FROM n",
    [],
    { timeoutMs },
  );
  return performance.now() - started;
}
