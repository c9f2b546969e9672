/**
 * The one shader program that draws every point, for display and for picking.
 *
 * Attributes (see Renderer for the buffers behind them):
 *   0 a_pos   uint16 coordinates, normalized to [0, 1] by the GPU
 *   1 a_code  category code (uint8 or uint16, integer attribute)
 *   2 a_bits  float32 value read as its uint32 bits (NaN detection that no
 *             driver can optimize away), then uintBitsToFloat
 *   3 a_sel   flag bits (flags.ts): 1 selected, 2 neighbour, 4 focus, 8 hidden
 *   4 a_prev  previous uint16 coordinates while a transition runs
 *   5 a_sizeBits  float32 value of the size column, read as its uint32 bits like a_bits
 *             (the same GPU buffer when colour and size follow one column)
 * Colour and size logic mirror colors.ts (categorySlot, valueToT, sizeFactor). With opacity
 * below 1 the points are blended: the rest share one depth, so they blend in draw order
 * instead of hiding one another, while emphasised and hovered points stay opaque and in front.
 */
import { LUT_SIZE, PALETTE_MAX } from "./colors";

export const ATTR_POS = 0;
export const ATTR_CODE = 1;
export const ATTR_BITS = 2;
export const ATTR_SEL = 3;
/** Previous positions (uint16, normalized) while a transition runs. */
export const ATTR_PREV = 4;
/** Values of the `size_by` column (float32 bits). */
export const ATTR_SIZE = 5;

export const MODE_SINGLE = 0;
export const MODE_CATEGORY = 1;
export const MODE_NUMBER = 2;

/** How far unemphasised points are mixed toward the background while something is emphasised. */
export const DIM_AMOUNT = 0.8;

export const VERTEX_SHADER = `#version 300 es
precision highp float;
precision highp int;

layout(location = ${ATTR_POS}) in vec3 a_pos;
layout(location = ${ATTR_CODE}) in uint a_code;
layout(location = ${ATTR_BITS}) in uint a_bits;
layout(location = ${ATTR_SEL}) in uint a_sel;
layout(location = ${ATTR_PREV}) in vec3 a_prev;
layout(location = ${ATTR_SIZE}) in uint a_sizeBits;

uniform mat4 u_viewProj;
uniform vec3 u_lo;
uniform vec3 u_span;
uniform vec3 u_prevLo;
uniform vec3 u_prevSpan;
uniform float u_mix;
uniform float u_size;
uniform float u_dpr;
uniform int u_mode;
uniform vec3 u_palette[${PALETTE_MAX}];
uniform int u_paletteSize;
uniform vec3 u_default;
uniform vec3 u_other;
uniform vec3 u_missing;
uniform vec3 u_background;
uniform vec3 u_ringColor;
uniform vec3 u_neighborColor;
uniform int u_missingCode;
uniform float u_min;
uniform float u_max;
uniform sampler2D u_lut;
uniform bool u_hasSelection;
uniform int u_hover;
uniform bool u_picking;
uniform bool u_sprites;
uniform float u_spriteSize;
uniform vec2 u_atlasSize;
uniform float u_thumb;
uniform int u_perRow;
uniform float u_opacity;
uniform bool u_sizeBy;
uniform float u_sizeMin;
uniform float u_sizeMax;
uniform vec2 u_sizeRange;

flat out vec3 v_color;
flat out float v_alpha;
flat out vec4 v_pick;
flat out float v_ring;
flat out vec3 v_ringCol;
flat out vec4 v_uv;
flat out float v_dim;

bool isNaN32(uint bits) {
  return (bits & 0x7f800000u) == 0x7f800000u && (bits & 0x007fffffu) != 0u;
}

// Position of a value between lo and hi, clamped; 0.5 when they are equal.
float along(float v, float lo, float hi) {
  float span = hi - lo;
  return span > 0.0 ? clamp((v - lo) / span, 0.0, 1.0) : 0.5;
}

vec3 baseColor() {
  if (u_mode == ${MODE_CATEGORY}) {
    int code = int(a_code);
    if (code == u_missingCode) return u_missing;
    if (code < u_paletteSize) return u_palette[code];
    return u_other;
  }
  if (u_mode == ${MODE_NUMBER}) {
    if (isNaN32(a_bits)) return u_missing;
    float t = along(uintBitsToFloat(a_bits), u_min, u_max);
    return texture(u_lut, vec2((t * ${LUT_SIZE - 1}.0 + 0.5) / ${LUT_SIZE}.0, 0.5)).rgb;
  }
  return u_default;
}

// The point's diameter before emphasis: the point size, scaled by the size column.
float baseSize() {
  if (!u_sizeBy || isNaN32(a_sizeBits)) return u_size;
  float t = along(uintBitsToFloat(a_sizeBits), u_sizeMin, u_sizeMax);
  return u_size * mix(u_sizeRange.x, u_sizeRange.y, t);
}

void main() {
  v_pick = vec4(0.0);
  v_color = vec3(0.0);
  v_alpha = 1.0;
  v_ring = 0.0;
  v_ringCol = vec3(0.0);
  v_uv = vec4(0.0);
  v_dim = 0.0;
  if ((a_sel & 8u) != 0u) {
    // Hidden: outside the clip volume, so neither drawn nor picked.
    gl_Position = vec4(2.0, 2.0, 2.0, 1.0);
    gl_PointSize = 1.0;
    return;
  }
  vec3 world = u_lo + a_pos * u_span;
  if (u_mix < 1.0 && !u_picking) world = mix(u_prevLo + a_prev * u_prevSpan, world, u_mix);
  vec4 clip = u_viewProj * vec4(world, 1.0);
  bool hovered = gl_VertexID == u_hover;
  bool selected = (a_sel & 1u) != 0u;
  bool neighbor = (a_sel & 2u) != 0u;
  bool focus = (a_sel & 4u) != 0u;
  bool emphasised = selected || neighbor || focus;

  float base = baseSize();
  float size = base;
  if (selected) size = max(base * 1.5, base + u_dpr);
  if (neighbor) size = max(size, max(base * 1.8, base + 4.0 * u_dpr));
  if (focus) size = max(size, max(base * 2.4, base + 7.0 * u_dpr));
  if (hovered) size = max(size * 2.0, size + 6.0 * u_dpr);
  if (u_sprites) size = max(size, u_spriteSize);

  // Depth layers: hovered in front, then focus, then neighbours and the
  // selection, then the rest, each keeping its own depth order.
  if (clip.w > 0.0 && clip.z >= -clip.w) {
    float d = clamp(clip.z / clip.w * 0.5 + 0.5, 0.0, 1.0);
    float rest = u_opacity < 1.0 ? 0.98 : d * 0.98;
    float z = hovered ? -0.99 : (focus ? -0.985 : (emphasised ? -0.98 + d * 0.98 : rest));
    clip.z = z * clip.w;
  }
  gl_Position = clip;
  gl_PointSize = size;

  if (u_sprites) {
    int id = gl_VertexID;
    float col = float(id % u_perRow);
    float row = float(id / u_perRow);
    if ((row + 1.0) * u_thumb <= u_atlasSize.y) {
      v_uv = vec4(col * u_thumb / u_atlasSize.x, row * u_thumb / u_atlasSize.y, u_thumb / u_atlasSize);
    }
  }
  if (u_picking) {
    uint id = uint(gl_VertexID) + 1u;
    v_pick = vec4(float(id & 255u), float((id >> 8) & 255u), float((id >> 16) & 255u), float(id >> 24)) / 255.0;
    return;
  }
  vec3 c = baseColor();
  if (u_hasSelection && !emphasised && !hovered) {
    c = mix(c, u_background, ${DIM_AMOUNT.toFixed(3)});
    v_dim = ${DIM_AMOUNT.toFixed(3)};
  }
  v_color = c;
  v_alpha = emphasised || hovered ? 1.0 : u_opacity;
  if (hovered) {
    v_ring = min(1.0, 4.0 * u_dpr / size);
    v_ringCol = u_ringColor;
  } else if (focus) {
    v_ring = min(1.0, 3.0 * u_dpr / size);
    v_ringCol = u_ringColor;
  } else if (neighbor) {
    v_ring = min(1.0, 2.0 * u_dpr / size);
    v_ringCol = u_neighborColor;
  } else if (u_sprites) {
    v_ring = min(1.0, 2.0 * u_dpr / size);
    v_ringCol = c;
  }
}
`;

export const FRAGMENT_SHADER = `#version 300 es
precision highp float;

flat in vec3 v_color;
flat in vec4 v_pick;
flat in float v_ring;
flat in vec3 v_ringCol;
flat in vec4 v_uv;
flat in float v_dim;
flat in float v_alpha;
uniform bool u_picking;
uniform sampler2D u_atlas;
uniform vec3 u_background;
out vec4 o_color;

void main() {
  vec2 pc = gl_PointCoord;
  if (v_uv.z > 0.0) {
    // A thumbnail: a square sprite sampling its cell of the atlas, framed in
    // the point's colour (or its ring colour).
    if (u_picking) {
      o_color = v_pick;
      return;
    }
    vec2 e = min(pc, 1.0 - pc);
    if (min(e.x, e.y) * 2.0 < v_ring) {
      o_color = vec4(v_ringCol, v_alpha);
      return;
    }
    vec4 t = texture(u_atlas, v_uv.xy + pc * v_uv.zw);
    vec3 col = mix(u_background, t.rgb, t.a);
    o_color = vec4(mix(col, u_background, v_dim), v_alpha);
    return;
  }
  vec2 c = pc * 2.0 - 1.0;
  float r2 = dot(c, c);
  if (r2 > 1.0) discard;
  if (u_picking) {
    o_color = v_pick;
    return;
  }
  float inner = 1.0 - v_ring;
  vec3 col = (v_ring > 0.0 && r2 > inner * inner) ? v_ringCol : v_color;
  o_color = vec4(col, v_alpha);
}
`;

export const UNIFORMS = [
  "u_viewProj",
  "u_lo",
  "u_span",
  "u_prevLo",
  "u_prevSpan",
  "u_mix",
  "u_size",
  "u_dpr",
  "u_mode",
  "u_palette",
  "u_paletteSize",
  "u_default",
  "u_other",
  "u_missing",
  "u_background",
  "u_missingCode",
  "u_min",
  "u_max",
  "u_lut",
  "u_hasSelection",
  "u_hover",
  "u_picking",
  "u_ringColor",
  "u_neighborColor",
  "u_sprites",
  "u_spriteSize",
  "u_atlasSize",
  "u_thumb",
  "u_perRow",
  "u_atlas",
  "u_opacity",
  "u_sizeBy",
  "u_sizeMin",
  "u_sizeMax",
  "u_sizeRange",
] as const;

export type UniformName = (typeof UNIFORMS)[number];

export function compile(gl: WebGL2RenderingContext, type: number, source: string): WebGLShader {
  const shader = gl.createShader(type);
  if (!shader) throw new Error("could not create a shader");
  gl.shaderSource(shader, source);
  gl.compileShader(shader);
  if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS) && !gl.isContextLost()) {
    const log = gl.getShaderInfoLog(shader);
    gl.deleteShader(shader);
    throw new Error(`shader compile failed: ${log ?? "(no log)"}`);
  }
  return shader;
}

export interface PointProgram {
  program: WebGLProgram;
  uniforms: Record<UniformName, WebGLUniformLocation | null>;
}

/** Compile `vertex` and `fragment` and link them into a program (`what` names it in errors). */
export function linkProgram(gl: WebGL2RenderingContext, vertex: string, fragment: string, what = "shader"): WebGLProgram {
  const vs = compile(gl, gl.VERTEX_SHADER, vertex);
  const fs = compile(gl, gl.FRAGMENT_SHADER, fragment);
  const program = gl.createProgram();
  if (!program) throw new Error(`could not create the ${what} program`);
  gl.attachShader(program, vs);
  gl.attachShader(program, fs);
  gl.linkProgram(program);
  gl.deleteShader(vs);
  gl.deleteShader(fs);
  if (!gl.getProgramParameter(program, gl.LINK_STATUS) && !gl.isContextLost()) {
    const log = gl.getProgramInfoLog(program);
    gl.deleteProgram(program);
    throw new Error(`${what} link failed: ${log ?? "(no log)"}`);
  }
  return program;
}

export function createPointProgram(gl: WebGL2RenderingContext): PointProgram {
  const program = linkProgram(gl, VERTEX_SHADER, FRAGMENT_SHADER);
  const uniforms = {} as Record<UniformName, WebGLUniformLocation | null>;
  for (const name of UNIFORMS) uniforms[name] = gl.getUniformLocation(program, name);
  return { program, uniforms };
}
