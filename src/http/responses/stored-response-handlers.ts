import type { Caller } from "../auth/caller.ts";
import { ApiError, invalidRequest } from "../shared/api-error.ts";
import type { InputItemList, ResponseDeleted, ResponseObject } from "./response-schema.ts";
import type { ResponseStore, StoredResponse } from "./response-store.ts";

/** GET /v1/responses/{id}: the response as it was answered (or as its stream ended). */
export function retrieveResponse(store: ResponseStore, id: string, caller: Caller): ResponseObject {
  return stored(store, id, caller).response;
}

/** DELETE /v1/responses/{id}: OpenAI's delete answer; the id is unknown from then on. */
export function deleteResponse(store: ResponseStore, id: string, caller: Caller): ResponseDeleted {
  if (!store.delete(id, caller.keyDigest)) throw notFound(id);
  return { id, object: "response", deleted: true };
}

export interface InputItemsQuery {
  limit?: string;
  order?: string;
  after?: string;
}

/** GET /v1/responses/{id}/input_items: the items the response was given, a cursor page (newest first by default). */
export function listInputItems(store: ResponseStore, id: string, caller: Caller, query: InputItemsQuery): InputItemList {
  const { input } = stored(store, id, caller);
  const limit = query.limit === undefined ? 20 : Number(query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw invalidRequest(`'limit' must be an integer from 1 to 100, got '${String(query.limit).slice(0, 20)}'.`, "limit");
  const order = query.order ?? "desc";
  if (order !== "asc" && order !== "desc") throw invalidRequest(`'order' must be 'asc' or 'desc', got '${order.slice(0, 20)}'.`, "order");
  const items = order === "asc" ? input : [...input].reverse();
  let start = 0;
  if (query.after !== undefined) {
    start = items.findIndex((item) => item.id === query.after) + 1;
    if (start === 0) throw invalidRequest(`'after' is not an item of response '${id}'.`, "after");
  }
  const data = items.slice(start, start + limit);
  return { object: "list", data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: start + limit < items.length };
}

function stored(store: ResponseStore, id: string, caller: Caller): StoredResponse {
  const found = store.get(id, caller.keyDigest);
  if (!found) throw notFound(id);
  return found;
}

/** OpenAI's answer for an id it does not hold (or that another key created, which is the same to the caller). */
function notFound(id: string): ApiError {
  return new ApiError({ status: 404, type: "invalid_request_error", message: `Response with id '${id.slice(0, 100)}' not found.` });
}
