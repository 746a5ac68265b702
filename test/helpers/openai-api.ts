/**
 * What the chat and completions tests share about the OpenAI surface: the server's extension parameters,
 * the error the official client raises for a refused request, and the OpenAI error body.
 */
import { expect } from "bun:test";
import { APIError } from "openai";

/** The common vLLM / llama-server extensions the server takes on top of OpenAI's parameters. */
export interface Extensions {
  top_k?: number;
  min_p?: number;
  repetition_penalty?: number;
  ignore_eos?: boolean;
}

export interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** The error the client raised for a refused request (fails the test if the request succeeded). */
export async function apiError(p: Promise<unknown>): Promise<APIError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof APIError) return err;
    throw err;
  }
  throw new Error("expected the request to be refused, but it succeeded");
}

export interface ExpectedError {
  status: number;
  type?: string;
  param?: string | null;
  code?: string | null;
  /** Every pattern must match the message. */
  message?: RegExp[];
}

/** Awaits a refused request and checks what the client saw: status and the OpenAI error body fields. */
export async function expectRefused(p: Promise<unknown>, want: ExpectedError): Promise<APIError> {
  const err = await apiError(p);
  expect(err.status).toBe(want.status);
  expect(err.type).toBe(want.type ?? "invalid_request_error");
  if (want.param !== undefined) expect(err.param).toBe(want.param);
  if (want.code !== undefined) expect(err.code).toBe(want.code);
  const body = err.error as { message?: unknown } | undefined;
  expect(typeof body?.message).toBe("string");
  for (const re of want.message ?? []) expect(String(body?.message)).toMatch(re);
  return err;
}
