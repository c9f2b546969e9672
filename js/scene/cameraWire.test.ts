import { describe, expect, it } from "vitest";
import { type Camera3D, cameraFromWire, cameraToWire, fitCamera, rebaseCamera } from "./camera";

describe("camera (de)serialisation", () => {
  it("round-trips a 2-D camera in data coordinates", () => {
    const cam = fitCamera(2, [-3, 5], [7, 9], { width: 400, height: 300 });
    const wire = cameraToWire(cam);
    expect(wire.dims).toBe(2);
    const back = cameraFromWire(JSON.parse(JSON.stringify(wire)), 2, 1);
    expect(back).toEqual(cam);
  });

  it("round-trips a 3-D camera, keeping fov and the given radius", () => {
    const cam = { ...(fitCamera(3, [0, 0, 0], [2, 4, 6], { width: 400, height: 300 }) as Camera3D), yaw: -1.2, pitch: 0.4 };
    const back = cameraFromWire(JSON.parse(JSON.stringify(cameraToWire(cam))), 3, cam.radius);
    expect(back).toEqual(cam);
  });

  it("survives re-quantisation: the data-space camera does not depend on the bounds", () => {
    const cam = fitCamera(2, [0, 0], [1, 1], { width: 100, height: 100 });
    const same = rebaseCamera(cam, [0, 0], [1, 1], [0, 0], [1, 1]);
    expect(cameraToWire(same)).toEqual(cameraToWire(cam));
  });

  it("rejects empty, malformed or other-dimensional values", () => {
    expect(cameraFromWire({}, 2, 1)).toBeNull();
    expect(cameraFromWire(null, 2, 1)).toBeNull();
    expect(cameraFromWire({ dims: 2, center: [0, 0], zoom: 3 }, 3, 1)).toBeNull();
    expect(cameraFromWire({ dims: 2, center: [0, "x"], zoom: 3 }, 2, 1)).toBeNull();
    expect(cameraFromWire({ dims: 2, center: [0, 0], zoom: -1 }, 2, 1)).toBeNull();
    expect(cameraFromWire({ dims: 3, target: [0, 0, 0], yaw: 0, pitch: 0 }, 3, 1)).toBeNull();
  });

  it("clamps a restored pitch to the orbit limit", () => {
    const c = cameraFromWire({ dims: 3, target: [0, 0, 0], yaw: 0, pitch: 5, distance: 2 }, 3, 1);
    expect(c?.kind === "3d" && c.pitch < Math.PI / 2).toBe(true);
  });
});
