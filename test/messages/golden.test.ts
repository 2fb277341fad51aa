import { describe, expect, test } from "vitest";
import { decodeFrame, encodeMessage } from "../../src/messages/codec.ts";
import { messageFromJSON, messageToJSON } from "../../src/json/message-json.ts";
import { bytesToHex, goldenVectors, hexToBytes } from "../vectors/protocol-examples.ts";

describe("golden vectors of the protocol reference", () => {
  for (const vector of goldenVectors) {
    const bytes = hexToBytes(vector.hex);
    const options = { intMode: "bigint" as const, legacy: vector.legacy === true };

    test(`${vector.name}: decodes to the documented fields`, () => {
      const message = decodeFrame(vector.side, bytes, options) as unknown as Record<string, unknown>;
      for (const [key, value] of Object.entries(vector.message)) {
        expect(message[key], key).toEqual(value);
      }
    });

    test(`${vector.name}: encodes back byte for byte`, () => {
      const message = decodeFrame(vector.side, bytes, options);
      expect(bytesToHex(encodeMessage(vector.side, message, options))).toBe(bytesToHex(bytes));
      // The documented fields alone (no decoded extras) also give the same bytes.
      expect(bytesToHex(encodeMessage(vector.side, vector.message as never, options))).toBe(bytesToHex(bytes));
    });

    test(`${vector.name}: survives JSON text losslessly`, () => {
      const message = decodeFrame(vector.side, bytes, options);
      const text = JSON.stringify(messageToJSON(vector.side, message));
      const back = messageFromJSON(vector.side, JSON.parse(text));
      expect(bytesToHex(encodeMessage(vector.side, back as never, options))).toBe(bytesToHex(bytes));
    });
  }
});
