/**
 * The level-of-detail draw order on the GPU (detail.ts plans what each frame draws): the order of
 * the shown rows and the emphasised rows in it, as element buffers of uint32 row indices, rebuilt
 * when what they follow changed (the row count, the categorical colour codes, the hidden rows,
 * and for the emphasised rows the flags). An index buffer rather than uploading the attributes
 * in that order: gl_VertexID stays the row (picking, hover, thumbnails), and no other buffer
 * (positions, columns, flags rewritten on every selection) needs permuting; it costs 4 bytes a
 * point, only on sets large enough to need it.
 */
import { drawOrder, emphasisedInOrder } from "./detail";
import { FLAG_HIDDEN } from "./flags";

/** Rows [from, to) of the order, then the first `emphasis` emphasised rows. */
export interface OrderSlice {
  from: number;
  to: number;
  emphasis: number;
}

export class DetailOrder {
  /** Emphasised rows in the order. */
  emphasised = 0;
  private orderBuf: WebGLBuffer | null = null;
  private emphBuf: WebGLBuffer | null = null;
  /** The order on the CPU and what it was built from (n, colour codes, hidden rows). */
  private order: Uint32Array | null = null;
  private key: { n: number; codes: ArrayLike<number> | null; hidden: number } | null = null;
  /** The flags version the emphasised rows were taken at. */
  private emphKey = -1;
  /** A fingerprint of the hidden rows in the flags, and the flags version it was taken at. */
  private hiddenKey = 0;
  private hiddenKeyVersion = -1;
  /** A build waits for an idle moment. */
  private idle = false;

  constructor(private readonly gl: WebGL2RenderingContext) {}

  /** A context was created or restored: the buffers are made again when next needed. */
  reset(): void {
    this.orderBuf = null;
    this.emphBuf = null;
    this.key = null;
    this.emphKey = -1;
  }

  /** Rows in the order on the CPU (0: none built). */
  get length(): number {
    return this.order?.length ?? 0;
  }

  /** Whether the order on the GPU follows `n` rows with these colour `codes` and the hidden rows of `flags` (version `version`). */
  isCurrent(n: number, codes: ArrayLike<number> | null, flags: Uint8Array, version: number): boolean {
    const key = this.key;
    if (!this.order || !key || !this.orderBuf || key.n !== n || key.codes !== codes) return false;
    return key.hidden === this.hiddenFingerprint(flags, version);
  }

  /** The order of `n` rows, built and uploaded when what it follows changed, and the emphasised rows in it. */
  current(n: number, codes: ArrayLike<number> | null, flags: Uint8Array, version: number): Uint32Array {
    const gl = this.gl;
    let order = this.order;
    if (!order || !this.isCurrent(n, codes, flags, version)) {
      order = drawOrder(n, codes, flags);
      this.order = order;
      this.key = { n, codes, hidden: this.hiddenFingerprint(flags, version) };
      this.orderBuf ??= gl.createBuffer();
      gl.bindVertexArray(null);
      gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, this.orderBuf);
      gl.bufferData(gl.ELEMENT_ARRAY_BUFFER, order, gl.STATIC_DRAW);
      this.emphKey = -1;
    }
    if (this.emphKey !== version || !this.emphBuf) {
      const emph = emphasisedInOrder(order, flags);
      this.emphBuf ??= gl.createBuffer();
      gl.bindVertexArray(null);
      gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, this.emphBuf);
      gl.bufferData(gl.ELEMENT_ARRAY_BUFFER, emph.length > 0 ? emph : new Uint32Array(1), gl.STATIC_DRAW);
      this.emphasised = emph.length;
      this.emphKey = version;
    }
    gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, null);
    return order;
  }

  /** Whether both element buffers exist (a slice can be drawn). */
  get uploaded(): boolean {
    return this.orderBuf !== null && this.emphBuf !== null;
  }

  /** Draw `slice` with the bound program and vertex array; returns the points drawn. */
  draw(slice: OrderSlice): number {
    const gl = this.gl;
    // The element buffer binding is part of the vertex array's state: bound here, released below.
    gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, this.orderBuf);
    gl.drawElements(gl.POINTS, slice.to - slice.from, gl.UNSIGNED_INT, slice.from * 4);
    let drawn = slice.to - slice.from;
    const emph = Math.min(this.emphasised, slice.emphasis);
    if (emph > 0) {
      gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, this.emphBuf);
      gl.drawElements(gl.POINTS, emph, gl.UNSIGNED_INT, 0);
      drawn += emph;
    }
    gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, null);
    return drawn;
  }

  /**
   * Run `build` once the page is idle (a build already waiting: nothing), so the first moving
   * frame does not wait for the order (a second or so at 10M points).
   */
  whenIdle(build: () => void): void {
    if (this.idle) return;
    this.idle = true;
    const run = (): void => {
      this.idle = false;
      build();
    };
    if (typeof requestIdleCallback === "function") requestIdleCallback(run, { timeout: 2000 });
    else setTimeout(run, 0);
  }

  /** A fingerprint of the hidden rows in the flags (recomputed when the flags changed). */
  private hiddenFingerprint(flags: Uint8Array, version: number): number {
    if (this.hiddenKeyVersion === version) return this.hiddenKey;
    let h = 0x811c9dc5;
    let count = 0;
    for (let i = 0; i < flags.length; i++) {
      if (flags[i] & FLAG_HIDDEN) {
        h = Math.imul(h ^ i, 0x01000193);
        count++;
      }
    }
    this.hiddenKey = (h ^ count) >>> 0;
    this.hiddenKeyVersion = version;
    return this.hiddenKey;
  }

  /** Delete the buffers (unless the context is lost). */
  dispose(): void {
    const gl = this.gl;
    if (gl.isContextLost()) return;
    if (this.orderBuf) gl.deleteBuffer(this.orderBuf);
    if (this.emphBuf) gl.deleteBuffer(this.emphBuf);
  }
}
