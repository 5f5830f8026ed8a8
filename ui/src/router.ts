// A tiny hash router: #/instances, #/instances/NAME, #/instances/NAME/console, ...
import { useEffect, useState } from "preact/hooks";

export function currentPath(): string[] {
  const hash = location.hash.replace(/^#\/?/, "");
  return hash.split("?")[0].split("/").filter(Boolean).map(decodeURIComponent);
}

export function useRoute(): string[] {
  const [path, setPath] = useState(currentPath);
  useEffect(() => {
    const changed = () => setPath(currentPath());
    addEventListener("hashchange", changed);
    return () => removeEventListener("hashchange", changed);
  }, []);
  return path;
}

export const href = (...parts: string[]) => "#/" + parts.map(encodeURIComponent).join("/");

export function navigate(...parts: string[]) {
  location.hash = href(...parts);
}
