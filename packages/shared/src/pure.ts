/**
 * Builds a module-scope value (a zod schema, a derived table) so that the bundler may leave it out of a bundle that
 * never uses it. esbuild keeps every top-level call it cannot prove free of side effects, so a schema a function
 * never reads (`z.object({ … })`) would still be built during that function's cold start. Marked `@__PURE__` at the
 * call (esbuild honours a call-site annotation across files; the declaration's `@__NO_SIDE_EFFECTS__` only within
 * this one), an unused `pure(…)` is dropped with its builder. Only for builders with no effect besides their result.
 *
 * @example
 * // at the call, the annotation comment `@__PURE__` goes right before `pure(`:
 * export const configSchema = pure(() => z.object({ TABLE: z.string().min(1) }));
 */
/* @__NO_SIDE_EFFECTS__ */
export function pure<T>(build: () => T): T {
  return build();
}
