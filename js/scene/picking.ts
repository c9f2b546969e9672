/**
 * GPU picking: the points are drawn into an offscreen RGBA8 framebuffer with
 * colour = point index + 1 (0 = background), re-drawn only when something that
 * moves points changed, and a small neighbourhood around the cursor is read
 * back so a 2-pixel point can still be hit.
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
