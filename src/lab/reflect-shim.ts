/**
 * Minimal Reflect metadata shim. @peculiar/x509 2.x loads tsyringe, which refuses to start unless
 * `Reflect.getMetadata` exists (normally provided by the `reflect-metadata` package, which is not
 * installed). tsyringe only stores and reads constructor parameter types, so a WeakMap-backed
 * store is enough. Installed only when no real polyfill is present; import before x509.
 */
type MetaStore = WeakMap<object, Map<unknown, unknown>>;
type ReflectWithMeta = typeof Reflect & {
  getMetadata?: (key: unknown, target: object) => unknown;
  getOwnMetadata?: (key: unknown, target: object) => unknown;
  defineMetadata?: (key: unknown, value: unknown, target: object) => void;
};

const R = Reflect as ReflectWithMeta;
if (typeof R.getMetadata !== 'function') {
  const store: MetaStore = new WeakMap();
  const own = (key: unknown, target: object): unknown => store.get(target)?.get(key);
  R.getOwnMetadata = own;
  R.getMetadata = (key, target) => {
    for (let t: object | null = target; t; t = Object.getPrototypeOf(t) as object | null) {
      const v = own(key, t);
      if (v !== undefined) return v;
    }
    return undefined;
  };
  R.defineMetadata = (key, value, target) => {
    let m = store.get(target);
    if (!m) {
      m = new Map();
      store.set(target, m);
    }
    m.set(key, value);
  };
}

export {};
