import { readFileSync } from "node:fs";
import { Ajv, type ValidateFunction } from "ajv";

function load(name: string): ValidateFunction {
  const schema = JSON.parse(
    readFileSync(new URL(`../../src/events/${name}`, import.meta.url), "utf8"),
  ) as object;
  const ajv = new Ajv({ allErrors: true, strict: true });
  ajv.addFormat("date-time", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d|Z)$/);
  return ajv.compile(schema);
}

/** Validators for the published JSON Schemas; tests check every event and alert against them. */
export const validateEvent = load("event.schema.json");
export const validateAlert = load("alert.schema.json");
export const validateSummary = load("summary.schema.json");

export function schemaErrors(v: ValidateFunction): string {
  return JSON.stringify(v.errors ?? [], null, 1);
}
