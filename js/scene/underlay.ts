/**
 * An image drawn under the points: a texture of the canvas's size (density contours, from
 * ui/density.ts, in device pixels) blended over the cleared background before the points are
 * drawn, so the points stay on top. The source is kept so a restored context re-uploads it.
 */
import { linkProgram } from "./shaders";

const VERTEX = `#version 300 es
out vec2 v_uv;
void main() {
  // One triangle covering the viewport.
  vec2 p = vec2(float((gl_VertexID & 1) << 2), float((gl_VertexID & 2) << 1)) - 1.0;
  v_uv = vec2(p.x * 0.5 + 0.5, 0.5 - p.y * 0.5);
  gl_Position = vec4(p, 0.0, 1.0);
}`;

const FRAGMENT = `#version 300 es
precision mediump float;
uniform sampler2D u_image;
in vec2 v_uv;
out vec4 o_color;
void main() {
  o_color = texture(u_image, v_uv);
}`;

export class Underlay {
  private program: WebGLProgram | null = null;
  private texture: WebGLTexture | null = null;
  private vao: WebGLVertexArrayObject | null = null;
  private source: TexImageSource | null = null;
  private uploaded = false;

  constructor(private readonly gl: WebGL2RenderingContext) {
    this.program = linkProgram(gl, VERTEX, FRAGMENT, "underlay");
    this.texture = gl.createTexture();
    this.vao = gl.createVertexArray();
  }

  /** Draw `source` (null: nothing) under the points from the next frame on. */
  set(source: TexImageSource | null): void {
    this.source = source;
    this.uploaded = false;
  }

  get active(): boolean {
    return this.source !== null;
  }

  /** Draw the image over the cleared frame (premultiplied alpha; no depth). */
  draw(): void {
    const { gl, program, texture } = this;
    if (!this.source || !program || !texture) return;
    gl.activeTexture(gl.TEXTURE0);
    gl.bindTexture(gl.TEXTURE_2D, texture);
    if (!this.uploaded) {
      gl.pixelStorei(gl.UNPACK_PREMULTIPLY_ALPHA_WEBGL, true);
      gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, gl.RGBA, gl.UNSIGNED_BYTE, this.source);
      gl.pixelStorei(gl.UNPACK_PREMULTIPLY_ALPHA_WEBGL, false);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.LINEAR);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.LINEAR);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
      this.uploaded = true;
    }
    gl.useProgram(program);
    gl.uniform1i(gl.getUniformLocation(program, "u_image"), 0);
    gl.bindVertexArray(this.vao);
    gl.disable(gl.DEPTH_TEST);
    gl.enable(gl.BLEND);
    gl.blendFunc(gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
    gl.drawArrays(gl.TRIANGLES, 0, 3);
    gl.disable(gl.BLEND);
    gl.enable(gl.DEPTH_TEST);
    gl.bindVertexArray(null);
    gl.bindTexture(gl.TEXTURE_2D, null);
  }

  dispose(): void {
    const { gl } = this;
    if (!gl.isContextLost()) {
      gl.deleteProgram(this.program);
      gl.deleteTexture(this.texture);
      gl.deleteVertexArray(this.vao);
    }
    this.program = null;
    this.texture = null;
    this.vao = null;
  }
}
