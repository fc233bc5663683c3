/**
 * Objects as one YAML stream (`---` between documents), exactly as rendered: js-yaml on the plain
 * objects, not the client's serializer, which would drop any field it does not know.
 */
import { dump } from "js-yaml";
import type { RenderedFunction } from "./render.ts";

export function toYaml(objects: readonly object[]): string {
  return objects.map((o) => dump(o, { noRefs: true, lineWidth: -1 })).join("---\n");
}

export function renderedYaml(objects: readonly RenderedFunction[]): string {
  return toYaml(objects.flatMap(({ deployment, service }) => [deployment, service]));
}
