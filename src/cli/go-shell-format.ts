// What the Go client's shell (`dqlite` from go-dqlite 1.11, cmd/dqlite + internal/shell) prints,
// byte for byte, so the two shells' output can be compared and scripts written for one read the
// other:
// - rows: the cells of a row joined by "|", each as Go's `%v` prints it, one row a line;
// - `.cluster`: `%x|%s|%s` (hex id, address, role name) per member, or with `-f json` the
//   []NodeInfo as encoding/json marshals it, indented with tabs by json.Indent;
// - `.describe ADDRESS`: `ADDRESS|FAILURE_DOMAIN|WEIGHT`, or the NodeMetadata as indented JSON.
// `-f json` changes nothing else in that shell: rows print the same in both formats.

import type { ClusterMember } from "../client/index.ts";
import type { CellValue } from "../values/cell.ts";

/** go-dqlite's NodeRole: its number in JSON, its String() in text. */
const GO_ROLES = {
  voter: { code: 0, name: "voter" },
  standby: { code: 1, name: "stand-by" },
  spare: { code: 2, name: "spare" },
} as const;

/** A row as the Go shell prints it (without the newline). */
export function goRow(row: readonly CellValue[]): string {
  return row.map(goValue).join("|");
}

/** A cell as Go's fmt prints it with %v. */
export function goValue(value: CellValue): string {
  if (value === null) return "<nil>";
  if (value instanceof Uint8Array) return `[${value.join(" ")}]`;
  if (typeof value === "number") return goFloat(value);
  return String(value);
}

/**
 * A float64 as Go's %v prints it: the shortest digits that read back exactly, in exponent form
 * when the decimal exponent is below -4 or 6 and above, with a signed exponent of at least two
 * digits ("1e+06", "1.5e-07", "1.234567e+06").
 */
export function goFloat(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  if (value === 0) return Object.is(value, -0) ? "-0" : "0";
  const [mantissa, exponentText] = value.toExponential().split("e") as [string, string];
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 6) {
    const sign = exponent < 0 ? "-" : "+";
    return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, "0")}`;
  }
  // In this range JS prints the same plain decimal digits.
  return String(value);
}

/** `.cluster` in the tabular format: one `%x|%s|%s` line per member, joined by newlines. */
export function goClusterText(members: readonly ClusterMember[]): string {
  return members.map((member) => `${member.id.toString(16)}|${member.address}|${GO_ROLES[member.role].name}`).join("\n");
}

/** `.cluster` with `-f json`: `json.Indent(json.Marshal([]NodeInfo), "", "\t")`. */
export function goClusterJson(members: readonly ClusterMember[]): string {
  if (members.length === 0) return "[]";
  const entries = members.map(
    (member) =>
      `\t{\n\t\t"ID": ${member.id},\n\t\t"Address": ${goJsonString(member.address)},\n\t\t"Role": ${GO_ROLES[member.role].code}\n\t}`,
  );
  return `[\n${entries.join(",\n")}\n]`;
}

/** `.describe ADDRESS` in the tabular format. */
export function goDescribeText(address: string, metadata: { failureDomain: bigint; weight: bigint }): string {
  return `${address}|${metadata.failureDomain}|${metadata.weight}`;
}

/** `.describe ADDRESS` with `-f json`: the indented NodeMetadata. */
export function goDescribeJson(metadata: { failureDomain: bigint; weight: bigint }): string {
  return `{\n\t"FailureDomain": ${metadata.failureDomain},\n\t"Weight": ${metadata.weight}\n}`;
}

/** A JSON string as encoding/json writes it: also <, > and & escaped (HTML-safe), and U+2028/9. */
function goJsonString(text: string): string {
  return JSON.stringify(text).replace(/[<>&\u2028\u2029]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
