import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { decodeFrame, encodeMessage } from "../../src/messages/codec.ts";
import { messageFromJSON, messageToJSON } from "../../src/json/message-json.ts";
import { messageArb } from "../support/arbitraries.ts";
import { bytesToHex } from "../vectors/protocol-examples.ts";

describe("encode → decode → encode is the identity", () => {
  for (const side of ["request", "response"] as const) {
    test(`every ${side} type, generated fields (64-bit edges, NaN payloads, -0, 7/8/9-byte texts, 0 and 256 params, zero-column rows)`, () => {
      fc.assert(
        fc.property(messageArb(side), ({ message, legacy }) => {
          const options = { legacy, intMode: "bigint" as const, allowInternal: true };
          const frame = encodeMessage(side, message as never, options);
          const decoded = decodeFrame(side, frame, options);
          expect(bytesToHex(encodeMessage(side, decoded, options))).toBe(bytesToHex(frame));
          // And through JSON text, as the CLI does.
          const json = JSON.parse(JSON.stringify(messageToJSON(side, decoded)));
          expect(bytesToHex(encodeMessage(side, messageFromJSON(side, json) as never, options))).toBe(bytesToHex(frame));
        }),
        { numRuns: 1500 },
      );
    });
  }

  test("decoded values equal the values encoded (intMode bigint)", () => {
    fc.assert(
      fc.property(messageArb("response"), ({ message, legacy }) => {
        const options = { legacy, intMode: "bigint" as const };
        const decoded = decodeFrame("response", encodeMessage("response", message as never, options), options) as unknown as Record<
          string,
          unknown
        >;
        for (const [key, value] of Object.entries(message)) {
          if (key === "rows") continue; // compared through bytes above (NaN bits, int widening)
          if (key === "nodes") {
            expect(decoded[key]).toEqual((value as { id: bigint }[]).map((n) => ({ ...n })));
            continue;
          }
          expect(decoded[key], key).toEqual(value);
        }
      }),
      { numRuns: 500 },
    );
  });
});
