// go-dqlite YAML node stores (cluster.yaml) and the Go shell's role names, without a node.

import { describe, expect, it } from "vitest";
import { goClusterJson, goClusterText } from "../../src/cli/go-shell-format.ts";
import { NodeStoreError, parseNodeStore, serverAddresses } from "../../src/cli/node-store.ts";

describe("parseNodeStore", () => {
  it("reads go-dqlite's cluster.yaml with uint64 ids exactly, field names in any case", () => {
    const text =
      "- Address: 127.0.0.1:19001\n  ID: 18446744073709551615\n  Role: 0\n- address: 10.0.0.2:19001\n  id: 3297041220608546238\n  role: 1\n- Address: node3:19001\n";
    expect(parseNodeStore(text)).toEqual([
      { id: 18446744073709551615n, address: "127.0.0.1:19001", role: 0 },
      { id: 3297041220608546238n, address: "10.0.0.2:19001", role: 1 },
      { id: 0n, address: "node3:19001", role: 0 },
    ]);
    expect(parseNodeStore("")).toEqual([]);
  });

  it("refuses ids beyond uint64, unknown roles, entries without an address", () => {
    expect(() => parseNodeStore("- Address: a:1\n  ID: 18446744073709551616\n")).toThrow(/ID must be an integer from 0 to 2\^64-1/);
    expect(() => parseNodeStore("- Address: a:1\n  ID: -1\n")).toThrow(NodeStoreError);
    expect(() => parseNodeStore("- Address: a:1\n  Role: 3\n")).toThrow(/Role must be 0 \(voter\), 1 \(stand-by\) or 2 \(spare\)/);
    expect(() => parseNodeStore("- Address: a:1\n  Role: voter\n")).toThrow(/Role must be/);
    expect(() => parseNodeStore("- ID: 1\n")).toThrow(/\[0\]\.Address must be a HOST:PORT text/);
    expect(() => parseNodeStore("- [1, 2]\n")).toThrow(/\[0\] must be a map/);
  });

  it("-s takes a comma list as it is", () => {
    expect(serverAddresses(" 127.0.0.1:1, 127.0.0.1:2 ,")).toEqual(["127.0.0.1:1", "127.0.0.1:2"]);
  });
});

describe("the Go shell's .cluster", () => {
  const members = [
    { id: 0x2dc171858c3155ben, address: "127.0.0.1:1", role: "voter" as const, toJSON: () => ({}) },
    { id: 18446744073709551615n, address: "<a&b>:2", role: "standby" as const, toJSON: () => ({}) },
    { id: 5n, address: "127.0.0.1:3", role: "spare" as const, toJSON: () => ({}) },
  ];

  it("tabular: %x|%s|%s with go-dqlite's role names (stand-by)", () => {
    expect(goClusterText(members)).toBe("2dc171858c3155be|127.0.0.1:1|voter\nffffffffffffffff|<a&b>:2|stand-by\n5|127.0.0.1:3|spare");
  });

  it("json: encoding/json's NodeInfo, exact uint64 ids, HTML-safe strings, tab-indented", () => {
    expect(goClusterJson(members)).toBe(
      '[\n\t{\n\t\t"ID": 3297041220608546238,\n\t\t"Address": "127.0.0.1:1",\n\t\t"Role": 0\n\t},\n' +
        '\t{\n\t\t"ID": 18446744073709551615,\n\t\t"Address": "\\u003ca\\u0026b\\u003e:2",\n\t\t"Role": 1\n\t},\n' +
        '\t{\n\t\t"ID": 5,\n\t\t"Address": "127.0.0.1:3",\n\t\t"Role": 2\n\t}\n]',
    );
    expect(goClusterJson([])).toBe("[]");
  });
});
