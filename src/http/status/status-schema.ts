import { Type, type Static } from "@sinclair/typebox";

/** GET /: what this server is, how long it has run, what it serves. */
export const StatusDocumentSchema = Type.Object(
  {
    service: Type.Literal("gpt3dev-api"),
    version: Type.String(),
    /** The build's commit ("dev" when run from source). */
    commit: Type.String(),
    uptime_seconds: Type.Integer(),
    /** The registry's models and their load state; absent for a caller without a valid key when keys are set. */
    models: Type.Optional(
      Type.Array(
        Type.Object(
          { id: Type.String(), task: Type.String(), state: Type.String(), loaded: Type.Boolean() },
          { additionalProperties: false },
        ),
      ),
    ),
    /** "METHOD path" of every endpoint. */
    endpoints: Type.Array(Type.String()),
  },
  { additionalProperties: false },
);
export type StatusDocument = Static<typeof StatusDocumentSchema>;
