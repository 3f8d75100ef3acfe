import { readFileSync } from "node:fs";
import { Ajv, type ValidateFunction } from "ajv";
import type { Event } from "./event.js";

/**
 * Whether a value read back from disk (a tail state file's parked events) is an event as the
 * parsers make them: event.schema.json, the serialized form's one definition. Compiled on first
 * use. The schema ships beside the compiled code (package.json `files`), so the same path
 * resolves from src/ and from dist/.
 */
let validate: ValidateFunction | undefined;

export function isEvent(x: unknown): x is Event {
  validate ??= new Ajv({ allErrors: false, strict: false }).compile(
    JSON.parse(
      readFileSync(new URL("../../src/events/event.schema.json", import.meta.url), "utf8"),
    ) as object,
  );
  return validate(x);
}
