/** A value and its change version: the version changes whenever the value does (and only then, ideally). */
export interface Versioned<T> {
  readonly version: number;
  readonly value: T;
}
