import { describe, expect, it } from "vitest";
import { seededRandom } from "../testing";
import {
  autoPointSize,
  type Camera,
  type Camera2D,
  type Camera3D,
  eyePosition,
  fitCamera,
  invert,
  orbit,
  pan,
  projectPoint,
  projectQuantized,
  rebaseCamera,
  screenToFocalPlane,
  screenToWorld2D,
  unprojectPoint,
  type Vec3,
  type Viewport,
  viewMatrix,
  viewProjection,
  zoomAt,
} from "./camera";

const VP: Viewport = { width: 800, height: 500 };

function inside(p: Vec3, vp: Viewport): boolean {
  return p[0] >= 0 && p[0] <= vp.width && p[1] >= 0 && p[1] <= vp.height;
}

function corners(lo: number[], hi: number[]): Vec3[] {
  const out: Vec3[] = [];
  for (let m = 0; m < 8; m++) out.push([m & 1 ? hi[0] : lo[0], m & 2 ? hi[1] : lo[1], m & 4 ? hi[2] : lo[2]]);
  return out;
}

function quantize(values: number[], lo: number[], hi: number[], dims: number): Uint16Array {
  const q = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const a = i % dims;
    q[i] = Math.round(((values[i] - lo[a]) / (hi[a] - lo[a])) * 65535);
  }
  return q;
}

function deq(q: Uint16Array, i: number, dims: 2 | 3, lo: number[], hi: number[]): Vec3 {
  const p: Vec3 = [0, 0, 0];
  for (let a = 0; a < dims; a++) p[a] = lo[a] + (q[i * dims + a] / 65535) * (hi[a] - lo[a]);
  return p;
}

describe("2-D fit", () => {
  it("puts every point inside the viewport, whatever the aspect ratios", () => {
    const rand = seededRandom(1);
    const cases: [number[], number[], Viewport][] = [
      [[-3, -1], [5, 2], VP],
      [[0, 0], [1, 1000], VP],
      [[100, 100], [100.001, 100.5], { width: 300, height: 900 }],
      [[-1e6, -5], [1e6, 5], { width: 1200, height: 200 }],
    ];
    for (const [lo, hi, vp] of cases) {
      const cam = fitCamera(2, lo, hi, vp);
      const m = viewProjection(cam, vp);
      for (let k = 0; k < 200; k++) {
        const p: Vec3 = [lo[0] + rand() * (hi[0] - lo[0]), lo[1] + rand() * (hi[1] - lo[1]), 0];
        expect(inside(projectPoint(m, vp, p), vp)).toBe(true);
      }
      for (const c of corners([...lo, 0], [...hi, 0])) expect(inside(projectPoint(m, vp, c), vp)).toBe(true);
      // and it is a real fit, not a tiny dot: one axis spans most of the viewport
      const a = projectPoint(m, vp, [lo[0], lo[1], 0]);
      const b = projectPoint(m, vp, [hi[0], hi[1], 0]);
      const used = Math.max(Math.abs(b[0] - a[0]) / vp.width, Math.abs(b[1] - a[1]) / vp.height);
      expect(used).toBeGreaterThan(0.85);
    }
  });

  it("copes with all points at one place", () => {
    const cam = fitCamera(2, [3, 4], [3, 4], VP);
    const p = projectPoint(viewProjection(cam, VP), VP, [3, 4, 0]);
    expect(p[0]).toBeCloseTo(400, 9);
    expect(p[1]).toBeCloseTo(250, 9);
  });
});

describe("3-D fit", () => {
  it("shows all corners of the box from the default angle", () => {
    for (const vp of [VP, { width: 300, height: 700 }]) {
      const lo = [-2, 0, 10];
      const hi = [6, 1, 14];
      const cam = fitCamera(3, lo, hi, vp);
      const m = viewProjection(cam, vp);
      let used = 0;
      for (const c of corners(lo, hi)) {
        const s = projectPoint(m, vp, c);
        expect(inside(s, vp)).toBe(true);
        used = Math.max(used, Math.abs(s[0] - vp.width / 2) / (vp.width / 2), Math.abs(s[1] - vp.height / 2) / (vp.height / 2));
      }
      expect(used).toBeGreaterThan(0.85); // tight, not a speck in the middle
    }
  });
});

describe("3-D fit to the points", () => {
  it("keeps every point inside the viewport and fills it more than the box fit", () => {
    const rand = seededRandom(12);
    const lo = [-4, -3, -5];
    const hi = [4, 3, 5];
    const vals: number[] = [];
    for (let i = 0; i < 5000; i++) {
      // A ball inside the box: its corners stay empty.
      let x = 0,
        y = 0,
        z = 0;
      do {
        x = rand() * 2 - 1;
        y = rand() * 2 - 1;
        z = rand() * 2 - 1;
      } while (x * x + y * y + z * z > 1);
      vals.push(x * 3, y * 3, z * 3);
    }
    const q = quantize(vals, lo, hi, 3);
    const boxCam = fitCamera(3, lo, hi, VP) as Camera3D;
    const cam = fitCamera(3, lo, hi, VP, undefined, q) as Camera3D;
    expect(cam.distance).toBeLessThan(boxCam.distance * 0.9);
    const pos = projectQuantized(q, 3, lo, hi, viewProjection(cam, VP), VP);
    let used = 0;
    for (let i = 0; i < 5000; i++) {
      const x = pos[2 * i];
      const y = pos[2 * i + 1];
      expect(x >= 0 && x <= VP.width && y >= 0 && y <= VP.height).toBe(true);
      used = Math.max(used, Math.abs(x - 400) / 400, Math.abs(y - 250) / 250);
    }
    expect(used).toBeGreaterThan(0.85);
  });
});

describe("3-D fit, centred", () => {
  it("puts the middle of what it shows at the middle of the view, however lopsided the points", () => {
    const rand = seededRandom(5);
    const lo = [0, 0, 0];
    const hi = [10, 4, 6];
    const vals: number[] = [];
    // Most points in one corner of their box, a few spread out: the box's centre is not theirs.
    for (let i = 0; i < 3000; i++) {
      const far = i % 10 === 0;
      vals.push(far ? rand() * 10 : rand() * 2, far ? rand() * 4 : rand(), far ? rand() * 6 : 5 + rand());
    }
    const q = quantize(vals, lo, hi, 3);
    for (const vp of [VP, { width: 400, height: 600 }]) {
      const cam = fitCamera(3, lo, hi, vp, undefined, q);
      const pos = projectQuantized(q, 3, lo, hi, viewProjection(cam, vp), vp);
      let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
      for (let i = 0; i < 3000; i++) {
        [x0, x1] = [Math.min(x0, pos[2 * i]), Math.max(x1, pos[2 * i])];
        [y0, y1] = [Math.min(y0, pos[2 * i + 1]), Math.max(y1, pos[2 * i + 1])];
      }
      expect(x0 >= 0 && x1 <= vp.width && y0 >= 0 && y1 <= vp.height).toBe(true);
      expect(Math.abs((x0 + x1) / 2 - vp.width / 2)).toBeLessThan(0.02 * vp.width);
      expect(Math.abs((y0 + y1) / 2 - vp.height / 2)).toBeLessThan(0.02 * vp.height);
    }
  });
});

describe("project / unproject", () => {
  it("round-trips in 2-D", () => {
    const cam = { kind: "2d" as const, center: [3, -2] as [number, number], scale: 37.5 };
    const m = viewProjection(cam, VP);
    const rand = seededRandom(2);
    for (let k = 0; k < 50; k++) {
      const p: Vec3 = [rand() * 20 - 10, rand() * 20 - 10, 0];
      const s = projectPoint(m, VP, p);
      const back = unprojectPoint(m, VP, s[0], s[1], s[2]);
      for (let a = 0; a < 3; a++) expect(back[a]).toBeCloseTo(p[a], 9);
      const w = screenToWorld2D(cam, VP, s[0], s[1]);
      expect(w[0]).toBeCloseTo(p[0], 9);
      expect(w[1]).toBeCloseTo(p[1], 9);
    }
  });

  it("round-trips in 3-D for points in front of the camera", () => {
    const cam = fitCamera(3, [-1, -1, -1], [1, 1, 1], VP) as Camera3D;
    const m = viewProjection({ ...cam, yaw: 1.1, pitch: -0.4 }, VP);
    const rand = seededRandom(3);
    for (let k = 0; k < 50; k++) {
      const p: Vec3 = [rand() * 2 - 1, rand() * 2 - 1, rand() * 2 - 1];
      const s = projectPoint(m, VP, p);
      expect(Number.isNaN(s[0])).toBe(false);
      const back = unprojectPoint(m, VP, s[0], s[1], s[2]);
      for (let a = 0; a < 3; a++) expect(back[a]).toBeCloseTo(p[a], 6);
    }
  });

  it("puts the target at the centre of a 3-D view and y up on screen", () => {
    const cam = fitCamera(3, [0, 0, 0], [2, 2, 2], VP) as Camera3D;
    const m = viewProjection(cam, VP);
    const c = projectPoint(m, VP, cam.target);
    expect(c[0]).toBeCloseTo(400, 6);
    expect(c[1]).toBeCloseTo(250, 6);
    const up = projectPoint(m, VP, [1, 1.5, 1]);
    expect(up[1]).toBeLessThan(c[1]);
  });

  it("gives NaN for points behind a 3-D camera or in front of the near plane", () => {
    const cam: Camera3D = { kind: "3d", target: [0, 0, 0], distance: 10, yaw: 0, pitch: 0, fovY: 0.8, radius: 1 };
    const m = viewProjection(cam, VP);
    // Eye at (0, 0, 10) looking toward -z.
    expect(eyePosition(cam)[2]).toBeCloseTo(10, 12);
    expect(projectPoint(m, VP, [0, 0, 11]).every(Number.isNaN)).toBe(true); // behind
    expect(projectPoint(m, VP, [0.5, 0, 15]).every(Number.isNaN)).toBe(true); // behind, off-axis
    expect(projectPoint(m, VP, [0, 0, 9.95]).every(Number.isNaN)).toBe(true); // nearer than the near plane
    expect(projectPoint(m, VP, [0, 0, 9]).some(Number.isNaN)).toBe(false);
    expect(projectPoint(m, VP, [0, 0, -1e6]).some(Number.isNaN)).toBe(false); // no far plane
  });
});

describe("projectQuantized", () => {
  it("matches projectPoint on the de-quantized coordinates (2-D and 3-D)", () => {
    const rand = seededRandom(4);
    for (const dims of [2, 3] as const) {
      const lo = [-5, 2, 100].slice(0, dims);
      const hi = [5, 3, 130].slice(0, dims);
      const vals: number[] = [];
      for (let i = 0; i < 300 * dims; i++) vals.push(lo[i % dims] + rand() * (hi[i % dims] - lo[i % dims]));
      const q = quantize(vals, lo, hi, dims);
      const cam = fitCamera(dims, lo, hi, VP);
      const moved = cam.kind === "3d" ? orbit(zoomAt(cam, VP, 100, 100, 3) as Camera3D, 80, 30) : zoomAt(cam, VP, 100, 100, 3);
      const m = viewProjection(moved, VP);
      const got = projectQuantized(q, dims, lo, hi, m, VP);
      expect(got.length).toBe(600);
      let hidden = 0;
      for (let i = 0; i < 300; i++) {
        const s = projectPoint(m, VP, deq(q, i, dims, [...lo, 0], [...hi, 0]));
        if (Number.isNaN(s[0])) {
          hidden++;
          expect(Number.isNaN(got[2 * i])).toBe(true);
          continue;
        }
        expect(got[2 * i]).toBeCloseTo(s[0], 2);
        expect(got[2 * i + 1]).toBeCloseTo(s[1], 2);
      }
      expect(hidden).toBeLessThan(300);
    }
  });

  it("marks points behind the camera NaN", () => {
    const cam: Camera3D = { kind: "3d", target: [0, 0, 0], distance: 10, yaw: 0, pitch: 0, fovY: 0.8, radius: 1 };
    const lo = [-20, -20, -20];
    const hi = [20, 20, 20];
    const q = quantize([0, 0, 0, 0, 0, 15, 0, 0, -15], lo, hi, 3);
    const got = projectQuantized(q, 3, lo, hi, viewProjection(cam, VP), VP);
    expect(got[0]).toBeCloseTo(400, 1);
    expect(Number.isNaN(got[2]) && Number.isNaN(got[3])).toBe(true);
    expect(Number.isNaN(got[4])).toBe(false);
  });

  it("reuses the output buffer when it is big enough", () => {
    const q = new Uint16Array(4);
    const out = new Float32Array(10);
    const m = viewProjection(fitCamera(2, [0, 0], [1, 1], VP), VP);
    expect(projectQuantized(q, 2, [0, 0], [1, 1], m, VP, out)).toBe(out);
  });
});

describe("camera gestures", () => {
  it("orbit keeps the distance to the target and the target centred", () => {
    let cam = fitCamera(3, [0, 0, 0], [4, 2, 6], VP) as Camera3D;
    const target = [...cam.target];
    const d0 = cam.distance;
    const rand = seededRandom(6);
    for (let k = 0; k < 40; k++) {
      cam = orbit(cam, rand() * 400 - 200, rand() * 400 - 200);
      // Eye position from the inverse of the view matrix, independent of eyePosition().
      const inv = invert(viewMatrix(cam));
      const eye = [inv[12], inv[13], inv[14]];
      expect(Math.hypot(eye[0] - target[0], eye[1] - target[1], eye[2] - target[2])).toBeCloseTo(d0, 9);
      const c = projectPoint(viewProjection(cam, VP), VP, cam.target);
      expect(c[0]).toBeCloseTo(400, 6);
      expect(c[1]).toBeCloseTo(250, 6);
      expect(Math.abs(cam.pitch)).toBeLessThan(Math.PI / 2);
    }
    expect(cam.target).toEqual(target);
  });

  it("2-D zoom keeps the point under the cursor fixed", () => {
    const cam = fitCamera(2, [0, 0], [10, 10], VP) as Camera2D;
    for (const [x, y, f] of [
      [100, 50, 2],
      [700, 400, 0.3],
      [400, 250, 10],
    ]) {
      const p = screenToWorld2D(cam, VP, x, y);
      const z = zoomAt(cam, VP, x, y, f) as Camera2D;
      const s = projectPoint(viewProjection(z, VP), VP, [p[0], p[1], 0]);
      expect(s[0]).toBeCloseTo(x, 6);
      expect(s[1]).toBeCloseTo(y, 6);
      expect(z.scale).toBeCloseTo(cam.scale * f, 9);
    }
  });

  it("3-D zoom keeps the point under the cursor fixed and changes the distance", () => {
    const cam = orbit(fitCamera(3, [0, 0, 0], [4, 2, 6], VP) as Camera3D, 50, -30);
    for (const [x, y, f] of [
      [120, 80, 2],
      [700, 420, 0.5],
    ]) {
      const p = screenToFocalPlane(cam, VP, x, y);
      expect(projectPoint(viewProjection(cam, VP), VP, p)[0]).toBeCloseTo(x, 6);
      const z = zoomAt(cam, VP, x, y, f) as Camera3D;
      const s = projectPoint(viewProjection(z, VP), VP, p);
      expect(s[0]).toBeCloseTo(x, 6);
      expect(s[1]).toBeCloseTo(y, 6);
      expect(z.distance).toBeCloseTo(cam.distance / f, 9);
    }
  });

  it("pan moves content with the pointer (2-D, and the focal plane in 3-D)", () => {
    const c2 = fitCamera(2, [0, 0], [10, 10], VP);
    const before = projectPoint(viewProjection(c2, VP), VP, [2, 3, 0]);
    const after = projectPoint(viewProjection(pan(c2, VP, 30, -12), VP), VP, [2, 3, 0]);
    expect(after[0] - before[0]).toBeCloseTo(30, 6);
    expect(after[1] - before[1]).toBeCloseTo(-12, 6);

    const c3 = fitCamera(3, [0, 0, 0], [4, 2, 6], VP) as Camera3D;
    const p = screenToFocalPlane(c3, VP, 300, 200);
    const moved = projectPoint(viewProjection(pan(c3, VP, 25, 40), VP), VP, p);
    expect(moved[0]).toBeCloseTo(325, 6);
    expect(moved[1]).toBeCloseTo(240, 6);
  });
});

describe("rebaseCamera", () => {
  it("is the identity when the bounds do not change", () => {
    const c = zoomAt(fitCamera(2, [0, 0], [4, 4], VP), VP, 10, 20, 3);
    expect(rebaseCamera(c, [0, 0], [4, 4], [0, 0], [4, 4])).toEqual(c);
    const c3 = orbit(fitCamera(3, [0, 0, 0], [1, 2, 3], VP) as Camera3D, 10, 10);
    expect(rebaseCamera(c3, [0, 0, 0], [1, 2, 3], [0, 0, 0], [1, 2, 3])).toEqual(c3);
  });

  it("keeps the data where it was on screen when the range changes", () => {
    const c = fitCamera(2, [0, 0], [4, 4], VP);
    const r = rebaseCamera(c, [0, 0], [4, 4], [100, 100], [108, 108]);
    const a = projectPoint(viewProjection(c, VP), VP, [1, 3, 0]);
    const b = projectPoint(viewProjection(r, VP), VP, [102, 106, 0]);
    expect(b[0]).toBeCloseTo(a[0], 6);
    expect(b[1]).toBeCloseTo(a[1], 6);
  });

  it("does not shrink the view of a layout whose bounds change shape and come back (a running t-SNE)", () => {
    // Frames whose x and y spans grow by turns: after the bounds are back where they started,
    // the view must be the one it started as (no zoom lost at every step).
    const c = zoomAt(fitCamera(2, [0, 0], [4, 4], VP), VP, 100, 50, 2);
    const frames: [number[], number[]][] = [
      [
        [0, 0],
        [4, 4],
      ],
      [
        [0, 0],
        [5, 4],
      ],
      [
        [0, 0],
        [4, 5],
      ],
      [
        [0, 0],
        [6, 6],
      ],
      [
        [0, 0],
        [4, 4],
      ],
    ];
    let r: Camera = c;
    for (let i = 1; i < frames.length; i++) r = rebaseCamera(r, frames[i - 1][0], frames[i - 1][1], frames[i][0], frames[i][1]);
    expect(r.kind).toBe("2d");
    if (r.kind !== "2d" || c.kind !== "2d") return;
    expect(r.scale).toBeCloseTo(c.scale, 9);
    expect(r.center[0]).toBeCloseTo(c.center[0], 9);
    expect(r.center[1]).toBeCloseTo(c.center[1], 9);
  });
});

describe("autoPointSize", () => {
  it("is 2 px at a million points and larger for fewer", () => {
    expect(autoPointSize(1_000_000)).toBe(2);
    expect(autoPointSize(5_000_000)).toBe(2);
    expect(autoPointSize(1000)).toBeGreaterThan(autoPointSize(100_000));
    expect(autoPointSize(10)).toBeLessThanOrEqual(8);
  });
});
