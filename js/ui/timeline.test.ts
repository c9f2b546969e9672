import { describe, expect, it } from "vitest";
import { keyStep, mostMoved } from "./timeline";

describe("keyStep", () => {
  it("moves one step with the arrows and to the ends with Home/End, within the steps", () => {
    expect(keyStep("ArrowRight", 1, 4)).toBe(2);
    expect(keyStep("ArrowLeft", 1, 4)).toBe(0);
    expect(keyStep("ArrowLeft", 0, 4)).toBe(0);
    expect(keyStep("ArrowUp", 3, 4)).toBe(3);
    expect(keyStep("Home", 2, 4)).toBe(0);
    expect(keyStep("End", 0, 4)).toBe(3);
    expect(keyStep("a", 0, 4)).toBeNull();
  });
});

describe("mostMoved", () => {
  it("picks the rows farthest from their first-step place, in the aligned layouts", () => {
    // Three rows, two steps; each step has its own bounds, as the kernel quantises them.
    const q = (x: number, lo: number, hi: number): number => Math.round(((x - lo) / (hi - lo)) * 65535);
    const first = [0, 0, 0, 1, 0, 0, 2, 0, 0];
    const second = [0, 0, 0, 1, 5, 0, 2, 1, 0]; // row 1 moved 5, row 2 moved 1
    const lo: [number, number, number][] = [
      [0, 0, -1],
      [0, 0, -1],
    ];
    const hi: [number, number, number][] = [
      [2, 1, 1],
      [2, 5, 1],
    ];
    const data = new Uint16Array(18);
    for (let i = 0; i < 9; i++) {
      data[i] = q(first[i], lo[0][i % 3], hi[0][i % 3]);
      data[9 + i] = q(second[i], lo[1][i % 3], hi[1][i % 3]);
    }
    const t = { steps: 2, n: 3, names: ["a", "b"], lo, hi, data };
    expect(Array.from(mostMoved(t, 1, 1))).toEqual([1]);
    expect(Array.from(mostMoved(t, 1, 2))).toEqual([1, 2]);
    expect(Array.from(mostMoved(t, 0, 5))).toEqual([0, 1, 2]);
  });

  it("takes the largest distances, the lowest rows among equal ones, as a full sort would", () => {
    // Coarse random moves (many ties) along x only; the reference sorts every row.
    const n = 400;
    const data = new Uint16Array(2 * n * 3);
    let seed = 7;
    const rnd = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (let i = 0; i < n; i++) data[3 * n + 3 * i] = Math.floor(rnd() * 8) * 1000;
    const lo: [number, number, number][] = [
      [0, 0, 0],
      [0, 0, 0],
    ];
    const hi: [number, number, number][] = [
      [1, 1, 1],
      [1, 1, 1],
    ];
    const t = { steps: 2, n, names: ["a", "b"], lo, hi, data };
    const moved = Array.from({ length: n }, (_, i) => data[3 * n + 3 * i]);
    for (const count of [0, 1, 37, 50, 399, 400, 500]) {
      const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => moved[y] - moved[x] || x - y);
      const expected = order.slice(0, Math.min(n, count)).sort((x, y) => x - y);
      expect(Array.from(mostMoved(t, 1, count))).toEqual(expected);
    }
  });
});
