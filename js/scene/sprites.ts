/**
 * Thumbnails drawn instead of dots (`_sprites`, `show_images`): the atlas (kept on the CPU so a
 * restored context uploads it again), whether it is shown, its upload into the point buffers'
 * atlas texture, and the point program's sprite uniforms. A sprite grows mildly with zoom.
 */
import type { Sprites } from "../contract/wirePoints";
import type { PointProgram } from "./shaders";

/** Sprite edge in CSS px: at least 24 px, growing mildly (square root) with zoom, capped. */
export function spriteSize(pointSize: number, zoomRatio: number): number {
  const k = Math.max(0.5, Math.min(4, Math.sqrt(Math.max(0, zoomRatio))));
  return Math.max(pointSize, 24) * k;
}

export class SpriteAtlas {
  /** Draw thumbnails instead of dots (when an atlas is set). */
  show = false;
  private sprites: Sprites | null = null;

  constructor(private readonly gl: WebGL2RenderingContext) {}

  /** The atlas drawn now: set and shown (null: dots). */
  get drawn(): Sprites | null {
    return this.show ? this.sprites : null;
  }

  /** Set the atlas (null = none) and upload it into `texture` (null: no context now); returns an error text when it cannot be used. */
  set(sprites: Sprites | null, texture: WebGLTexture | null): string {
    this.sprites = sprites;
    return this.upload(texture);
  }

  /** Upload the atlas into `texture`; one larger than the GPU allows is dropped, with the error text. */
  upload(texture: WebGLTexture | null): string {
    const gl = this.gl;
    const s = this.sprites;
    if (!texture || !s) return "";
    const max = gl.getParameter(gl.MAX_TEXTURE_SIZE) as number;
    if (s.width > max || s.height > max) {
      this.sprites = null;
      return `The image atlas (${s.width}\u00d7${s.height}) exceeds this GPU's texture limit (${max}); use smaller thumbnails.`;
    }
    gl.bindTexture(gl.TEXTURE_2D, texture);
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, s.width, s.height, 0, gl.RGBA, gl.UNSIGNED_BYTE, s.data);
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 4);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.LINEAR);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.LINEAR);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
    gl.bindTexture(gl.TEXTURE_2D, null);
    return "";
  }

  /**
   * Set the sprite uniforms of a frame and bind `texture` to unit 1 when thumbnails are drawn
   * (`sizePx`: a sprite's edge in device px); returns whether they are.
   */
  bind(u: PointProgram["uniforms"], texture: WebGLTexture, sizePx: number): boolean {
    const gl = this.gl;
    const s = this.drawn;
    gl.uniform1i(u.u_sprites, s ? 1 : 0);
    if (s) {
      gl.activeTexture(gl.TEXTURE1);
      gl.bindTexture(gl.TEXTURE_2D, texture);
      gl.uniform1i(u.u_atlas, 1);
      gl.uniform2f(u.u_atlasSize, s.width, s.height);
      gl.uniform1f(u.u_thumb, s.thumb);
      gl.uniform1i(u.u_perRow, s.perRow);
      gl.uniform1f(u.u_spriteSize, sizePx);
    } else {
      gl.uniform1i(u.u_atlas, 1);
    }
    return s !== null;
  }

  /** Unbind the atlas after a frame that drew thumbnails. */
  unbind(): void {
    const gl = this.gl;
    gl.activeTexture(gl.TEXTURE1);
    gl.bindTexture(gl.TEXTURE_2D, null);
    gl.activeTexture(gl.TEXTURE0);
  }
}
