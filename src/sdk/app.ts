import { WharfError } from "./errors.ts";
import { APPS_KEY, FUNCTION_TAG, type FunctionRegistration } from "./spec.ts";
import type { FunctionOptions } from "./types.ts";

/** App names: 1..40 of `[a-z0-9-]` (docs/reference.md §1); the platform checks `--name` with the same rule. */
export const APP_NAME = /^[a-z0-9-]{1,40}$/;

/**
 * A Wharf app: a named group of functions deployed together. Its name prefixes every default
 * label (`{app}-{function}`).
 *
 * @example
 * const app = new wharf.App("example"); // [a-z0-9-], 1..40 characters
 */
export class App {
  readonly name: string;
  /** Every function and class registered on this app, in declaration order. */
  readonly registrations: FunctionRegistration[] = [];

  constructor(name: string) {
    if (typeof name !== "string" || !APP_NAME.test(name)) {
      throw new WharfError(
        "APP_NAME_INVALID",
        `App name ${JSON.stringify(name)} is invalid: use 1..40 characters of [a-z0-9-], e.g. new wharf.App("my-app").`,
      );
    }
    this.name = name;
    const registry = globalThis as Record<symbol, unknown>;
    const apps = (registry[APPS_KEY] ??= []) as App[];
    apps.push(this);
  }

  /**
   * Registers a function of this app, with its scaling and runtime options (all optional:
   * `minContainers` 0, `maxContainers` 10, `bufferContainers` 0, `scaledownWindow` 60 s,
   * `timeout` 150 s, `concurrency.maxInputs` 1). Returns the function unchanged.
   *
   * @example
   * export const hello = app.function({ timeout: 30 })(
   *   wharf.fastapiEndpoint()(function hello() { return { message: "Hello" }; }),
   * );
   */
  function(options: FunctionOptions = {}) {
    // `Function`, not a call signature: a call signature here would be inferred first and type an
    // unannotated handler's parameters as `never` (TypeScript infers from the return context).
    // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
    return <F extends Function>(fn: F): F => {
      this.register("function", fn, fn.name, options);
      return fn;
    };
  }

  /**
   * Registers a class whose methods carry web decorators; its containers hold one instance each,
   * shared by all its methods (state survives between requests). Usable as a TC39 class
   * decorator or as a wrapper. Same options as {@link App.function}.
   *
   * @example
   * @app.cls({ concurrency: { maxInputs: 10 } })
   * export class MyAPI {
   *   @wharf.fastapiEndpoint() health() { return { status: "healthy" }; }
   * }
   */
  cls(options: FunctionOptions = {}) {
    return <C extends abstract new (...args: never[]) => object>(cls: C, context?: ClassDecoratorContext<C>): C => {
      const sourceName = context?.name ?? cls.name;
      this.register("class", cls, sourceName, options);
      return cls;
    };
  }

  private register(kind: "function" | "class", target: object, sourceName: string, options: FunctionOptions): void {
    const registration: FunctionRegistration = { app: this, kind, options: { ...options }, target, sourceName };
    (target as Record<symbol, unknown>)[FUNCTION_TAG] = registration;
    this.registrations.push(registration);
  }
}
