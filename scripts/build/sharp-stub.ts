// Stands in for `sharp` in the executable: its native addon cannot be embedded, and the server takes no image input.
// transformers.js only checks that the import is truthy at load time, so calling it is the first failure.
export default function sharp(): never {
  throw new Error("image processing (sharp) is not available in the gpt3dev-api executable");
}
