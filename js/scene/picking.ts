/**
 * Picking. On the GPU the points are drawn into an offscreen RGBA8 framebuffer with
 * colour = point index + 1 (0 = background), re-drawn only when something that
 * moves points changed, and a small neighbourhood around the cursor is read
 * back so a 2-pixel point can still be hit. Large sets pick on the CPU instead, from the
 * points' screen positions (`nearestWithin`).
 */

/** The 4 bytes (RGBA) that encode point `index` (the shader writes index + 1). */
export function encodePickId(index: number): [number, number, number, number] {
  const id = index + 1;
  return [id & 255, (id >>> 8) & 255, (id >>> 16) & 255, (id >>> 24) & 255];
}

/** Point index from picked RGBA bytes, or -1 for background. */
export function decodePickId(r: number, g: number, b: number, a: number): number {
  const id = (r | (g << 8) | (b << 16)) + a * 16777216;
  return id - 1;
}

/**
 * Index of the hit nearest to (cx, cy) in a w x h block of RGBA pixels
 * (row-major, as readPixels returns them), or -1 when nothing was hit.
 */
export function nearestHit(pixels: Uint8Array, w: number, h: number, cx: number, cy: number): number {
  let best = -1;
  let bestD = Infinity;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 4;
      const index = decodePickId(pixels[o], pixels[o + 1], pixels[o + 2], pixels[o + 3]);
      if (index < 0) continue;
      const d = (x - cx) * (x - cx) + (y - cy) * (y - cy);
      if (d < bestD) {
        bestD = d;
        best = index;
      }
    }
  }
  return best;
}

/** The offscreen framebuffer. */
export class PickBuffer {
  private fbo: WebGLFramebuffer | null;
  private color: WebGLRenderbuffer | null;
  private depth: WebGLRenderbuffer | null;
  private width = 0;
  private height = 0;
  /** Whether the buffer no longer matches what is on screen. */
  dirty = true;

  constructor(private readonly gl: WebGL2RenderingContext) {
    this.fbo = gl.createFramebuffer();
    this.color = gl.createRenderbuffer();
    this.depth = gl.createRenderbuffer();
  }

  /** Bind for drawing at the given device-pixel size (reallocating when it changed). */
  bind(width: number, height: number): boolean {
    const gl = this.gl;
    if (!this.fbo || !this.color || !this.depth) return false;
    gl.bindFramebuffer(gl.FRAMEBUFFER, this.fbo);
    if (width !== this.width || height !== this.height) {
      gl.bindRenderbuffer(gl.RENDERBUFFER, this.color);
      gl.renderbufferStorage(gl.RENDERBUFFER, gl.RGBA8, width, height);
      gl.bindRenderbuffer(gl.RENDERBUFFER, this.depth);
      gl.renderbufferStorage(gl.RENDERBUFFER, gl.DEPTH_COMPONENT24, width, height);
      gl.bindRenderbuffer(gl.RENDERBUFFER, null);
      gl.framebufferRenderbuffer(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.RENDERBUFFER, this.color);
      gl.framebufferRenderbuffer(gl.FRAMEBUFFER, gl.DEPTH_ATTACHMENT, gl.RENDERBUFFER, this.depth);
      this.width = width;
      this.height = height;
    }
    return gl.checkFramebufferStatus(gl.FRAMEBUFFER) === gl.FRAMEBUFFER_COMPLETE;
  }

  /**
   * Read the block of radius `r` around device pixel (px, py) (y down) and
   * return the nearest hit's index, or -1. The framebuffer must be bound.
   */
  read(px: number, py: number, r: number): number {
    const gl = this.gl;
    const x0 = Math.max(0, px - r);
    const x1 = Math.min(this.width - 1, px + r);
    // GL rows count from the bottom.
    const glY = this.height - 1 - py;
    const y0 = Math.max(0, glY - r);
    const y1 = Math.min(this.height - 1, glY + r);
    if (x1 < x0 || y1 < y0) return -1;
    const w = x1 - x0 + 1;
    const h = y1 - y0 + 1;
    const pixels = new Uint8Array(w * h * 4);
    gl.readPixels(x0, y0, w, h, gl.RGBA, gl.UNSIGNED_BYTE, pixels);
    return nearestHit(pixels, w, h, px - x0, glY - y0);
  }

  dispose(): void {
    const gl = this.gl;
    gl.deleteFramebuffer(this.fbo);
    gl.deleteRenderbuffer(this.color);
    gl.deleteRenderbuffer(this.depth);
    this.fbo = this.color = this.depth = null;
  }
}

/** Above this many points, hover and click pick on the CPU (see PointPicker.pickOnCpu). */
export const CPU_PICK_MIN_POINTS = 200_000;

/** Index of the position (x, y pairs; NaN = hidden) nearest (x, y) within `reach`, or -1. */
export function nearestWithin(positions: Float32Array, x: number, y: number, reach: number): number {
  let best = -1;
  let bestD = reach * reach;
  const n = positions.length >> 1;
  for (let i = 0; i < n; i++) {
    const dx = positions[2 * i] - x;
    if (dx > reach || dx < -reach) continue; // NaN (hidden) falls through and never wins below
    const dy = positions[2 * i + 1] - y;
    if (dy > reach || dy < -reach) continue;
    const d = dx * dx + dy * dy;
    if (d <= bestD) {
      bestD = d;
      best = i;
    }
  }
  return best;
}

/**
 * Picking of the drawn points, two ways: on the GPU through the pick buffer (redrawn only when
 * something that moves points changed), or on the CPU from the points' screen positions (kept
 * until then too). The pick buffer is made with the context and again when it is restored.
 */
export class PointPicker {
  private buffer: PickBuffer | null = null;
  private positions: Float32Array | null = null;
  private positionsDirty = true;

  constructor(private readonly gl: WebGL2RenderingContext) {}

  /** A context was created or restored: a new pick buffer. */
  restore(): void {
    this.buffer = new PickBuffer(this.gl);
  }

  /** The context was lost with the pick buffer. */
  lost(): void {
    this.buffer = null;
  }

  /** Something that moves or resizes points changed: both ways re-pick from scratch. */
  invalidate(): void {
    if (this.buffer) this.buffer.dirty = true;
    this.positionsDirty = true;
  }

  /**
   * On the GPU: the index drawn nearest device pixel (x, y) * dpr within `radius` CSS px in a
   * canvas of `width` x `height` device px, or -1. `drawIds` draws the points' ids into the
   * bound framebuffer when the buffer is stale.
   */
  pickOnGpu(x: number, y: number, radius: number, dpr: number, width: number, height: number, drawIds: () => void): number {
    const gl = this.gl;
    const pick = this.buffer;
    if (!pick) return -1;
    if (!pick.bind(width, height)) {
      gl.bindFramebuffer(gl.FRAMEBUFFER, null);
      return -1;
    }
    if (pick.dirty) {
      gl.viewport(0, 0, width, height);
      gl.clearColor(0, 0, 0, 0);
      gl.clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT);
      drawIds();
      pick.dirty = false;
    }
    const r = Math.max(1, Math.ceil(radius * dpr));
    const index = pick.read(Math.floor(x * dpr), Math.floor(y * dpr), r);
    gl.bindFramebuffer(gl.FRAMEBUFFER, null);
    return index;
  }

  /**
   * On the CPU, for large point counts: reading the GPU pick buffer back stalls the main thread
   * until every point is drawn again (about a second for 1M points in software rendering); a
   * scan of the projected positions takes milliseconds. The nearest point whose disc reaches
   * within `reach` CSS px of (x, y) wins; `positions` projects every point when they moved.
   */
  pickOnCpu(x: number, y: number, reach: number, positions: () => Float32Array): number {
    if (this.positionsDirty || !this.positions) {
      this.positions = positions();
      this.positionsDirty = false;
    }
    return nearestWithin(this.positions, x, y, reach);
  }

  /** Delete the pick buffer (unless the context is lost). */
  dispose(): void {
    if (this.buffer && !this.gl.isContextLost()) this.buffer.dispose();
    this.buffer = null;
  }
}
