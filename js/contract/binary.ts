/**
 * Binary values as the model delivers them: anywidget hands over a DataView, a saved page or a
 * test may hold an ArrayBuffer or any typed-array view. All numbers are little-endian; typed
 * arrays in every browser we target are little-endian too, so a view is used directly when its
 * byte offset is aligned and a copy is made when it is not.
 */

/** A binary value as the model may deliver it. */
export type Binary = DataView | ArrayBuffer | ArrayBufferView;

type TypedArrayCtor<T extends ArrayBufferView> = {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): T;
  new (length: number): T;
  readonly BYTES_PER_ELEMENT: number;
};

/** Whether `x` is a binary value (an ArrayBuffer or a view of one). */
export function isBinary(x: unknown): x is Binary {
  return x instanceof ArrayBuffer || ArrayBuffer.isView(x);
}

/**
 * View `bin` as a typed array of `ctor`, copying when the byte offset is not a
 * multiple of the element size (a DataView into a larger message buffer can
 * start anywhere). Trailing bytes that do not fill an element are ignored.
 */
export function typedView<T extends ArrayBufferView>(bin: Binary, ctor: TypedArrayCtor<T>): T {
  const size = ctor.BYTES_PER_ELEMENT;
  let buffer: ArrayBufferLike;
  let offset: number;
  let bytes: number;
  if (bin instanceof ArrayBuffer) {
    buffer = bin;
    offset = 0;
    bytes = bin.byteLength;
  } else {
    buffer = bin.buffer;
    offset = bin.byteOffset;
    bytes = bin.byteLength;
  }
  const length = Math.floor(bytes / size);
  if (offset % size === 0) return new ctor(buffer, offset, length);
  const copy = new ctor(length);
  new Uint8Array(copy.buffer).set(new Uint8Array(buffer, offset, length * size));
  return copy;
}
