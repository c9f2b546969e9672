/**
 * Camera maths, pure. One view-projection matrix serves the vertex shader
 * (uploaded as a uniform) and the CPU (lasso hit-testing, test hooks): the
 * shader computes `u_viewProj * vec4(u_lo + a_pos * u_span, 1)` and
 * `projectQuantized` computes exactly that for every point.
 *
 * Screen coordinates are CSS pixels from the canvas's top-left corner, y down.
 * Matrices are column-major `Float64Array(16)` (WebGL's layout).
 */
import { finiteTuple, isFiniteNumber, isObjectLike } from "../contract/guards";

export type Vec3 = [number, number, number];
export type Mat4 = Float64Array;

export interface Viewport {
  /** CSS pixels. */
  width: number;
  height: number;
}

/** Orthographic 2-D view: `scale` CSS pixels per data unit, `center` at the viewport centre. */
export interface Camera2D {
  kind: "2d";
  center: [number, number];
  scale: number;
}

/** Perspective orbit camera looking at `target` from `distance` away. */
export interface Camera3D {
  kind: "3d";
  target: Vec3;
  distance: number;
  /** Rotation about the y axis, radians. */
  yaw: number;
  /** Elevation above the x-z plane, radians, within +-PITCH_LIMIT. */
  pitch: number;
  /** Vertical field of view, radians. */
  fovY: number;
  /** Radius of the data when the view was fitted; bounds the zoom. */
  radius: number;
}

export type Camera = Camera2D | Camera3D;

export const FIT_MARGIN = 0.9;
export const PITCH_LIMIT = Math.PI / 2 - 0.02;
export const ORBIT_RADIANS_PER_PX = 0.008;
/** Near plane distance as a fraction of the camera distance. */
export const NEAR_FRACTION = 0.01;
const DEFAULT_FOV = (45 * Math.PI) / 180;

function safeViewport(vp: Viewport): Viewport {
  return { width: Math.max(1, vp.width), height: Math.max(1, vp.height) };
}

// ---------------------------------------------------------------- matrices

export function multiply(a: Mat4, b: Mat4): Mat4 {
  const out = new Float64Array(16);
  for (let c = 0; c < 4; c++) {
    for (let r = 0; r < 4; r++) {
      let s = 0;
      for (let k = 0; k < 4; k++) s += a[k * 4 + r] * b[c * 4 + k];
      out[c * 4 + r] = s;
    }
  }
  return out;
}

/** Inverse of a 4x4 matrix (cofactor expansion); throws when singular. */
export function invert(m: Mat4): Mat4 {
  const [a00, a01, a02, a03, a10, a11, a12, a13, a20, a21, a22, a23, a30, a31, a32, a33] = m;
  const b00 = a00 * a11 - a01 * a10;
  const b01 = a00 * a12 - a02 * a10;
  const b02 = a00 * a13 - a03 * a10;
  const b03 = a01 * a12 - a02 * a11;
  const b04 = a01 * a13 - a03 * a11;
  const b05 = a02 * a13 - a03 * a12;
  const b06 = a20 * a31 - a21 * a30;
  const b07 = a20 * a32 - a22 * a30;
  const b08 = a20 * a33 - a23 * a30;
  const b09 = a21 * a32 - a22 * a31;
  const b10 = a21 * a33 - a23 * a31;
  const b11 = a22 * a33 - a23 * a32;
  const det = b00 * b11 - b01 * b10 + b02 * b09 + b03 * b08 - b04 * b07 + b05 * b06;
  if (det === 0 || !Number.isFinite(det)) throw new Error("matrix is not invertible");
  const id = 1 / det;
  return Float64Array.from([
    (a11 * b11 - a12 * b10 + a13 * b09) * id,
    (a02 * b10 - a01 * b11 - a03 * b09) * id,
    (a31 * b05 - a32 * b04 + a33 * b03) * id,
    (a22 * b04 - a21 * b05 - a23 * b03) * id,
    (a12 * b08 - a10 * b11 - a13 * b07) * id,
    (a00 * b11 - a02 * b08 + a03 * b07) * id,
    (a32 * b02 - a30 * b05 - a33 * b01) * id,
    (a20 * b05 - a22 * b02 + a23 * b01) * id,
    (a10 * b10 - a11 * b08 + a13 * b06) * id,
    (a01 * b08 - a00 * b10 - a03 * b06) * id,
    (a30 * b04 - a31 * b02 + a33 * b00) * id,
    (a21 * b02 - a20 * b04 - a23 * b00) * id,
    (a11 * b07 - a10 * b09 - a12 * b06) * id,
    (a00 * b09 - a01 * b07 + a02 * b06) * id,
    (a31 * b01 - a30 * b03 - a32 * b00) * id,
    (a20 * b03 - a21 * b01 + a22 * b00) * id,
  ]);
}

function sub(a: Vec3, b: Vec3): Vec3 {
  return [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
}
function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}
function dot(a: Vec3, b: Vec3): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}
function normalize(a: Vec3): Vec3 {
  const l = Math.hypot(a[0], a[1], a[2]) || 1;
  return [a[0] / l, a[1] / l, a[2] / l];
}

// ------------------------------------------------------------------ 3-D basis

/** Camera position of an orbit camera. */
export function eyePosition(cam: Camera3D): Vec3 {
  const cp = Math.cos(cam.pitch);
  return [
    cam.target[0] + cam.distance * cp * Math.sin(cam.yaw),
    cam.target[1] + cam.distance * Math.sin(cam.pitch),
    cam.target[2] + cam.distance * cp * Math.cos(cam.yaw),
  ];
}

/** Right, up and forward unit vectors of an orbit camera (y is world up). */
export function cameraBasis(cam: Camera3D): { right: Vec3; up: Vec3; forward: Vec3 } {
  const forward = normalize(sub(cam.target, eyePosition(cam)));
  const right = normalize(cross(forward, [0, 1, 0]));
  const up = cross(right, forward);
  return { right, up, forward };
}

export function viewMatrix(cam: Camera3D): Mat4 {
  const eye = eyePosition(cam);
  const { right: r, up: u, forward: f } = cameraBasis(cam);
  return Float64Array.from([r[0], u[0], -f[0], 0, r[1], u[1], -f[1], 0, r[2], u[2], -f[2], 0, -dot(r, eye), -dot(u, eye), dot(f, eye), 1]);
}

/** Perspective projection with an infinite far plane (nothing in front is ever clipped far away). */
export function perspectiveMatrix(fovY: number, aspect: number, near: number): Mat4 {
  const f = 1 / Math.tan(fovY / 2);
  const m = new Float64Array(16);
  m[0] = f / aspect;
  m[5] = f;
  m[10] = -1;
  m[11] = -1;
  m[14] = -2 * near;
  return m;
}

// ----------------------------------------------------------- view-projection

/** The matrix the vertex shader uses: world (data) coordinates to clip space. */
export function viewProjection(cam: Camera, viewport: Viewport): Mat4 {
  const vp = safeViewport(viewport);
  if (cam.kind === "2d") {
    const m = new Float64Array(16);
    const sx = (2 * cam.scale) / vp.width;
    const sy = (2 * cam.scale) / vp.height;
    m[0] = sx;
    m[5] = sy;
    m[10] = -1; // z is always 0 in 2-D; keeps the matrix invertible
    m[12] = -cam.center[0] * sx;
    m[13] = -cam.center[1] * sy;
    m[15] = 1;
    return m;
  }
  const proj = perspectiveMatrix(cam.fovY, vp.width / vp.height, cam.distance * NEAR_FRACTION);
  return multiply(proj, viewMatrix(cam));
}

/**
 * Screen position (CSS px) and NDC depth of a world point; [NaN, NaN, NaN]
 * when the GPU would clip it (behind the camera or in front of the near plane).
 */
export function projectPoint(m: Mat4, viewport: Viewport, p: Vec3): Vec3 {
  const vp = safeViewport(viewport);
  const x = m[0] * p[0] + m[4] * p[1] + m[8] * p[2] + m[12];
  const y = m[1] * p[0] + m[5] * p[1] + m[9] * p[2] + m[13];
  const z = m[2] * p[0] + m[6] * p[1] + m[10] * p[2] + m[14];
  const w = m[3] * p[0] + m[7] * p[1] + m[11] * p[2] + m[15];
  if (!(w > 0) || z < -w) return [NaN, NaN, NaN];
  return [((x / w + 1) / 2) * vp.width, ((1 - y / w) / 2) * vp.height, z / w];
}

/** World point at screen position (CSS px) and NDC depth; inverse of projectPoint. */
export function unprojectPoint(m: Mat4, viewport: Viewport, sx: number, sy: number, depth: number): Vec3 {
  const vp = safeViewport(viewport);
  const inv = invert(m);
  const nx = (sx / vp.width) * 2 - 1;
  const ny = 1 - (sy / vp.height) * 2;
  const x = inv[0] * nx + inv[4] * ny + inv[8] * depth + inv[12];
  const y = inv[1] * nx + inv[5] * ny + inv[9] * depth + inv[13];
  const z = inv[2] * nx + inv[6] * ny + inv[10] * depth + inv[14];
  const w = inv[3] * nx + inv[7] * ny + inv[11] * depth + inv[15];
  return [x / w, y / w, z / w];
}

/**
 * Screen positions (CSS px, x then y per point) of quantized points, exactly as
 * the shader places them: world = lo + q / 65535 * (hi - lo), then `m`.
 * Points the GPU would clip get NaN. Writes into `out` when it is big enough.
 */
export function projectQuantized(
  coords: Uint16Array,
  dims: 2 | 3,
  lo: ArrayLike<number>,
  hi: ArrayLike<number>,
  m: Mat4,
  viewport: Viewport,
  out?: Float32Array,
): Float32Array {
  const vp = safeViewport(viewport);
  const n = Math.floor(coords.length / dims);
  const res = out && out.length >= 2 * n ? out : new Float32Array(2 * n);
  // Fold de-quantization into the matrix: clip_r = sum_a c[a][r] * q_a + c0[r].
  const k = [0, 0, 0];
  const l = [0, 0, 0];
  for (let a = 0; a < dims; a++) {
    l[a] = lo[a];
    k[a] = (hi[a] - lo[a]) / 65535;
  }
  const c = new Float64Array(16);
  for (let r = 0; r < 4; r++) {
    c[12 + r] = m[12 + r] + m[r] * l[0] + m[4 + r] * l[1] + m[8 + r] * l[2];
    for (let a = 0; a < 3; a++) c[a * 4 + r] = m[a * 4 + r] * k[a];
  }
  const hw = vp.width / 2;
  const hh = vp.height / 2;
  if (dims === 2) {
    // Orthographic or not, z is 0 here; w may still vary for a general matrix.
    for (let i = 0, j = 0; i < n; i++, j += 2) {
      const q0 = coords[j];
      const q1 = coords[j + 1];
      const x = c[0] * q0 + c[4] * q1 + c[12];
      const y = c[1] * q0 + c[5] * q1 + c[13];
      const z = c[2] * q0 + c[6] * q1 + c[14];
      const w = c[3] * q0 + c[7] * q1 + c[15];
      if (w > 0 && z >= -w) {
        res[j] = (x / w + 1) * hw;
        res[j + 1] = (1 - y / w) * hh;
      } else {
        res[j] = NaN;
        res[j + 1] = NaN;
      }
    }
  } else {
    for (let i = 0, j = 0, s = 0; i < n; i++, j += 2, s += 3) {
      const q0 = coords[s];
      const q1 = coords[s + 1];
      const q2 = coords[s + 2];
      const x = c[0] * q0 + c[4] * q1 + c[8] * q2 + c[12];
      const y = c[1] * q0 + c[5] * q1 + c[9] * q2 + c[13];
      const z = c[2] * q0 + c[6] * q1 + c[10] * q2 + c[14];
      const w = c[3] * q0 + c[7] * q1 + c[11] * q2 + c[15];
      if (w > 0 && z >= -w) {
        res[j] = (x / w + 1) * hw;
        res[j + 1] = (1 - y / w) * hh;
      } else {
        res[j] = NaN;
        res[j + 1] = NaN;
      }
    }
  }
  return res;
}

// -------------------------------------------------------------- fitting

/**
 * A camera that shows the whole box [lo, hi] (per axis) in the viewport. In
 * 3-D, when the quantized `coords` are given, it fits the points themselves
 * (tighter than the box, whose corners data rarely fills) from the default angle.
 */
export function fitCamera(
  dims: 2 | 3,
  lo: ArrayLike<number>,
  hi: ArrayLike<number>,
  viewport: Viewport,
  fovY = DEFAULT_FOV,
  coords?: Uint16Array,
): Camera {
  const vp = safeViewport(viewport);
  if (dims === 2) {
    const spanX = hi[0] - lo[0];
    const spanY = hi[1] - lo[1];
    const sX = spanX > 0 ? (vp.width * FIT_MARGIN) / spanX : Infinity;
    const sY = spanY > 0 ? (vp.height * FIT_MARGIN) / spanY : Infinity;
    let scale = Math.min(sX, sY);
    if (!Number.isFinite(scale)) scale = Math.min(vp.width, vp.height) * FIT_MARGIN * 0.5;
    return { kind: "2d", center: [(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2], scale };
  }
  const target: Vec3 = [(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, (lo[2] + hi[2]) / 2];
  let radius = Math.hypot(hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]) / 2;
  if (!(radius > 0)) radius = 1;
  const cam: Camera3D = { kind: "3d", target, distance: 1, yaw: 0.6, pitch: 0.35, fovY, radius };
  // The nearest distance from which every point (or box corner) lies within the margin-shrunk
  // frustum, and the target moved across the view so that they are centred in it. For offset c
  // from the box's centre and the target moved by s along `right`, a point is in view when
  // |c.right - s| <= tanX (d + c.forward): s lies in [cr - tanX cf, cr + tanX cf] widened by
  // tanX d. The narrowest d at which every point's interval meets is (A - B) / (2 tanX) with
  // A = max(cr - tanX cf), B = min(cr + tanX cf), and there s = (A + B) / 2 centres the points
  // exactly; likewise for up. The axis with room to spare is then centred by two corrections.
  const { right, up, forward } = cameraBasis(cam);
  const tanY = Math.tan(fovY / 2) * FIT_MARGIN;
  const tanX = Math.tan(fovY / 2) * (vp.width / vp.height) * FIT_MARGIN;
  const offsets = offsetVisitor(target, lo, hi, right, up, forward, coords);
  let near = radius * 0.1;
  let [ax, bx, ay, by] = [-Infinity, Infinity, -Infinity, Infinity];
  offsets((cr, cu, cf) => {
    ax = Math.max(ax, cr - tanX * cf);
    bx = Math.min(bx, cr + tanX * cf);
    ay = Math.max(ay, cu - tanY * cf);
    by = Math.min(by, cu + tanY * cf);
    near = Math.max(near, radius * 0.1 - cf);
  });
  const distance = Math.max(near, (ax - bx) / (2 * tanX), (ay - by) / (2 * tanY));
  let sx = (ax + bx) / 2;
  let sy = (ay + by) / 2;
  for (let pass = 0; pass < 2; pass++) {
    let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
    offsets((cr, cu, cf) => {
      const depth = distance + cf;
      const tx = (cr - sx) / depth;
      const ty = (cu - sy) / depth;
      x0 = Math.min(x0, tx);
      x1 = Math.max(x1, tx);
      y0 = Math.min(y0, ty);
      y1 = Math.max(y1, ty);
    });
    // Moving the target by t shifts a point at depth d by t / d: at the target's depth, exactly.
    sx += ((x0 + x1) / 2) * distance;
    sy += ((y0 + y1) / 2) * distance;
  }
  const centred: Vec3 = [0, 1, 2].map((k) => target[k] + right[k] * sx + up[k] * sy) as Vec3;
  return { ...cam, target: centred, distance };
}

/**
 * Calls `visit(right, up, forward)` with the camera-basis components of each point's offset from
 * `target` (`coords`, quantized in [lo, hi]), or of the box's corners when there are no points.
 */
function offsetVisitor(
  target: Vec3,
  lo: ArrayLike<number>,
  hi: ArrayLike<number>,
  right: Vec3,
  up: Vec3,
  forward: Vec3,
  coords?: Uint16Array,
): (visit: (cr: number, cu: number, cf: number) => void) => void {
  const n = coords ? Math.floor(coords.length / 3) : 0;
  if (!coords || n === 0) {
    const corners: Vec3[] = [];
    for (let m = 0; m < 8; m++) {
      corners.push([(m & 1 ? hi[0] : lo[0]) - target[0], (m & 2 ? hi[1] : lo[1]) - target[1], (m & 4 ? hi[2] : lo[2]) - target[2]]);
    }
    return (visit) => {
      for (const c of corners) visit(dot(c, right), dot(c, up), dot(c, forward));
    };
  }
  // Offsets are affine in q: c = (lo - target) + q * k, folded per basis vector.
  const k = [0, 1, 2].map((a) => (hi[a] - lo[a]) / 65535);
  const base = [0, 1, 2].map((a) => lo[a] - target[a]);
  const fold = (v: Vec3): number[] => [dot(v, base as Vec3), v[0] * k[0], v[1] * k[1], v[2] * k[2]];
  const [r0, r1, r2, r3] = fold(right);
  const [u0, u1, u2, u3] = fold(up);
  const [f0, f1, f2, f3] = fold(forward);
  return (visit) => {
    for (let i = 0, j = 0; i < n; i++, j += 3) {
      const q0 = coords[j];
      const q1 = coords[j + 1];
      const q2 = coords[j + 2];
      visit(r0 + r1 * q0 + r2 * q1 + r3 * q2, u0 + u1 * q0 + u2 * q1 + u3 * q2, f0 + f1 * q0 + f2 * q1 + f3 * q2);
    }
  };
}

// ---------------------------------------------------------- interaction

const MIN_SCALE = 1e-12;
const MAX_SCALE = 1e12;

/** 2-D: the world point under a screen position. */
export function screenToWorld2D(cam: Camera2D, viewport: Viewport, sx: number, sy: number): [number, number] {
  const vp = safeViewport(viewport);
  return [cam.center[0] + (sx - vp.width / 2) / cam.scale, cam.center[1] - (sy - vp.height / 2) / cam.scale];
}

/** 3-D: the point under a screen position on the plane through the target facing the camera. */
export function screenToFocalPlane(cam: Camera3D, viewport: Viewport, sx: number, sy: number): Vec3 {
  const vp = safeViewport(viewport);
  const { right, up } = cameraBasis(cam);
  const h = cam.distance * Math.tan(cam.fovY / 2);
  const w = h * (vp.width / vp.height);
  const nx = (sx / vp.width) * 2 - 1;
  const ny = 1 - (sy / vp.height) * 2;
  return [
    cam.target[0] + right[0] * nx * w + up[0] * ny * h,
    cam.target[1] + right[1] * nx * w + up[1] * ny * h,
    cam.target[2] + right[2] * nx * w + up[2] * ny * h,
  ];
}

/**
 * Zoom by `factor` (> 1 zooms in) about a screen position: the point under the
 * cursor stays under the cursor (in 3-D, the point on the focal plane).
 */
export function zoomAt(cam: Camera, viewport: Viewport, sx: number, sy: number, factor: number): Camera {
  if (cam.kind === "2d") {
    const p = screenToWorld2D(cam, viewport, sx, sy);
    const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, cam.scale * factor));
    const k = cam.scale / scale;
    return {
      kind: "2d",
      center: [p[0] - (p[0] - cam.center[0]) * k, p[1] - (p[1] - cam.center[1]) * k],
      scale,
    };
  }
  const p = screenToFocalPlane(cam, viewport, sx, sy);
  const distance = Math.min(cam.radius * 1e3, Math.max(cam.radius * 1e-5, cam.distance / factor));
  const k = distance / cam.distance;
  const target: Vec3 = [p[0] + (cam.target[0] - p[0]) * k, p[1] + (cam.target[1] - p[1]) * k, p[2] + (cam.target[2] - p[2]) * k];
  return { ...cam, target, distance };
}

/** Move the view so the content follows a drag of (dx, dy) CSS pixels. */
export function pan(cam: Camera, viewport: Viewport, dx: number, dy: number): Camera {
  if (cam.kind === "2d") {
    return { ...cam, center: [cam.center[0] - dx / cam.scale, cam.center[1] + dy / cam.scale] };
  }
  const vp = safeViewport(viewport);
  const { right, up } = cameraBasis(cam);
  const perPx = (2 * cam.distance * Math.tan(cam.fovY / 2)) / vp.height;
  const target: Vec3 = [
    cam.target[0] - (right[0] * dx - up[0] * dy) * perPx,
    cam.target[1] - (right[1] * dx - up[1] * dy) * perPx,
    cam.target[2] - (right[2] * dx - up[2] * dy) * perPx,
  ];
  return { ...cam, target };
}

/** Orbit about the target for a drag of (dx, dy) CSS pixels; the distance is unchanged. */
export function orbit(cam: Camera3D, dx: number, dy: number): Camera3D {
  const pitch = Math.max(-PITCH_LIMIT, Math.min(PITCH_LIMIT, cam.pitch + dy * ORBIT_RADIANS_PER_PX));
  let yaw = cam.yaw - dx * ORBIT_RADIANS_PER_PX;
  yaw = Math.atan2(Math.sin(yaw), Math.cos(yaw));
  return { ...cam, yaw, pitch };
}

/** Automatic point diameter (CSS px) for n points: 2 px at a million, larger when few. */
export function autoPointSize(n: number): number {
  if (n <= 1) return 8;
  return Math.min(8, Math.max(2, 8 - Math.log10(n)));
}

/**
 * The camera that shows data with new bounds the way `cam` showed data with
 * the old bounds (the identity when the bounds are the same): used when a new
 * `_points` value keeps n and dims, so the view survives e.g. a re-run of a
 * projection whose range drifted.
 */
export function rebaseCamera(
  cam: Camera,
  oldLo: ArrayLike<number>,
  oldHi: ArrayLike<number>,
  newLo: ArrayLike<number>,
  newHi: ArrayLike<number>,
): Camera {
  const map = (x: number, a: number): number => {
    const oldSpan = oldHi[a] - oldLo[a];
    const newSpan = newHi[a] - newLo[a];
    const r = oldSpan > 0 && newSpan > 0 ? newSpan / oldSpan : 1;
    return (newLo[a] + newHi[a]) / 2 + (x - (oldLo[a] + oldHi[a]) / 2) * r;
  };
  if (cam.kind === "2d") {
    const center: [number, number] = [map(cam.center[0], 0), map(cam.center[1], 1)];
    // One zoom for both axes, from the diagonals: rebasing through bounds that change shape and
    // come back returns the same view (the larger of the two ratios would lose zoom each time).
    const oldD = Math.hypot(oldHi[0] - oldLo[0], oldHi[1] - oldLo[1]);
    const newD = Math.hypot(newHi[0] - newLo[0], newHi[1] - newLo[1]);
    const r = oldD > 0 && newD > 0 ? newD / oldD : 1;
    return { kind: "2d", center, scale: cam.scale / r };
  }
  const target: Vec3 = [map(cam.target[0], 0), map(cam.target[1], 1), map(cam.target[2], 2)];
  const oldR = Math.hypot(oldHi[0] - oldLo[0], oldHi[1] - oldLo[1], oldHi[2] - oldLo[2]) / 2;
  const newR = Math.hypot(newHi[0] - newLo[0], newHi[1] - newLo[1], newHi[2] - newLo[2]) / 2;
  const k = oldR > 0 && newR > 0 ? newR / oldR : 1;
  return { ...cam, target, distance: cam.distance * k, radius: cam.radius * k };
}

// ------------------------------------------------------------ model sync

/**
 * The camera as synced with Python (`camera`), in DATA coordinates (the
 * de-quantised space of `_points`), so it survives re-quantisation:
 *   2-D: `{dims: 2, center: [x, y], zoom}`, zoom = CSS px per data unit;
 *   3-D: `{dims: 3, target: [x, y, z], yaw, pitch, distance}`, angles in
 *        radians (yaw about +y, pitch above the x-z plane), distance in data units.
 * Python treats it as opaque.
 */
export type CameraWire =
  | { dims: 2; center: [number, number]; zoom: number }
  | { dims: 3; target: Vec3; yaw: number; pitch: number; distance: number };

export function cameraToWire(cam: Camera): CameraWire {
  if (cam.kind === "2d") return { dims: 2, center: [cam.center[0], cam.center[1]], zoom: cam.scale };
  return { dims: 3, target: [cam.target[0], cam.target[1], cam.target[2]], yaw: cam.yaw, pitch: cam.pitch, distance: cam.distance };
}

function positive(x: unknown): number | null {
  return isFiniteNumber(x) && x > 0 ? x : null;
}

function finite(x: unknown): number | null {
  return isFiniteNumber(x) ? x : null;
}

/**
 * The camera described by a `camera` value, or null when it is empty,
 * malformed or of other dimensions than `dims`. `radius` bounds the 3-D zoom
 * (the data's radius).
 */
export function cameraFromWire(raw: unknown, dims: 2 | 3, radius: number): Camera | null {
  if (!isObjectLike(raw)) return null;
  if (raw.dims !== dims) return null;
  if (dims === 2) {
    const c = finiteTuple(raw.center, 2);
    const zoom = positive(raw.zoom);
    if (!c || zoom === null) return null;
    return { kind: "2d", center: [c[0], c[1]], scale: zoom };
  }
  const t = finiteTuple(raw.target, 3);
  const yaw = finite(raw.yaw);
  const pitch = finite(raw.pitch);
  const distance = positive(raw.distance);
  if (!t || yaw === null || pitch === null || distance === null) return null;
  return {
    kind: "3d",
    target: [t[0], t[1], t[2]],
    yaw,
    pitch: Math.max(-PITCH_LIMIT, Math.min(PITCH_LIMIT, pitch)),
    distance,
    fovY: DEFAULT_FOV,
    radius: radius > 0 ? radius : distance,
  };
}
