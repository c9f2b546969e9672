import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Camera, CameraWire } from "../scene/camera";
import { CAMERA_SYNC_MS, CameraSync } from "./cameraSync";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

function host(dims: 2 | 3 | null) {
  const h = {
    cam: { kind: "2d", center: [1, 2], scale: 3 } as Camera,
    dims,
    applied: [] as Camera[],
    written: [] as CameraWire[],
  };
  const sync = new CameraSync({
    camera: () => h.cam,
    shown: () => (h.dims ? { dims: h.dims, radius: 5 } : null),
    apply: (c) => h.applied.push(c),
    write: (w) => h.written.push(w),
  });
  return { h, sync };
}

describe("CameraSync", () => {
  it("writes the camera once it has been still for the delay", () => {
    const { h, sync } = host(2);
    sync.moved();
    vi.advanceTimersByTime(CAMERA_SYNC_MS - 1);
    sync.moved(); // still moving
    vi.advanceTimersByTime(CAMERA_SYNC_MS - 1);
    expect(h.written).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(h.written).toEqual([{ dims: 2, center: [1, 2], zoom: 3 }]);
  });

  it("ignores the model's echo of its own camera", () => {
    const { h, sync } = host(2);
    sync.moved();
    vi.advanceTimersByTime(CAMERA_SYNC_MS);
    sync.changed(h.written[0]);
    vi.advanceTimersByTime(0);
    expect(h.applied).toEqual([]);
  });

  it("applies a camera from Python once points of its dimensionality are shown, once", () => {
    const { h, sync } = host(2);
    sync.changed({ dims: 3, target: [0, 0, 0], yaw: 0, pitch: 0, distance: 4 });
    vi.advanceTimersByTime(0);
    expect(h.applied).toEqual([]); // 2-D points on screen: wait
    h.dims = 3;
    sync.applyPending(); // 3-D points arrived
    expect(h.applied.length).toBe(1);
    expect(h.applied[0].kind).toBe("3d");
    sync.applyPending();
    expect(h.applied.length).toBe(1);
  });

  it("waits while a layout is computed, so a restored view is not framed away when it arrives", () => {
    const { h, sync } = host(2);
    let busy = true;
    const waiting = new CameraSync({
      camera: () => h.cam,
      shown: () => ({ dims: 2, radius: 5 }),
      busy: () => busy,
      apply: (c) => h.applied.push(c),
      write: (w) => h.written.push(w),
    });
    waiting.changed({ dims: 2, center: [4, 5], zoom: 6 });
    vi.advanceTimersByTime(0);
    waiting.applyPending(); // the new layout's frames arrive while it runs
    expect(h.applied).toEqual([]);
    busy = false;
    waiting.applyPending(); // it ended
    expect(h.applied.length).toBe(1);
    sync.dispose();
  });

  it("drops an empty or malformed camera instead of waiting for it", () => {
    const { h, sync } = host(null);
    sync.changed({});
    vi.advanceTimersByTime(0);
    h.dims = 2;
    sync.applyPending();
    sync.changed({ dims: 2, center: [4, 5], zoom: 2 });
    vi.advanceTimersByTime(0);
    expect(h.applied).toEqual([{ kind: "2d", center: [4, 5], scale: 2 }]);
  });
});
